r"""VPO: value-incentivized preference optimization (Cen et al. 2025), online and offline, on
exact linear dueling bandits, with its baselines.

Paper: S. Cen, J. Mei, K. Goshvadi, H. Dai, T. Yang, S. Yang, D. Schuurmans, Y. Chi, B. Dai,
"Value-Incentivized Preference Optimization: A Unified Approach to Online and Offline RLHF",
ICLR 2025, arXiv 2405.19320.  **The body of the paper could not be read here**: only its
abstract is [V]; the objective's structure is [V3] (reviews; the GEB restatement of the shared
VPO/XPO/SELM online update); the calibration, the sampling protocol, the norm ball and the
alpha schedule are [R] reconstructions (``shared/theory/vpo_glow_v2.md`` part II), each a named
parameter below.  The algebra (policy form, convexity, comparative statics) is [D] and tested.

Setting (:class:`~rlth.models.bandits.LinearDuelingBandit`): linear rewards
:math:`r_\theta(x, y) = \phi(x, y)^\top\theta`, Bradley-Terry duels, the KL-regularized value
:math:`J(r, \pi)`, :math:`J^*(r) = \max_\pi J(r, \pi) = \beta\,\mathbb E_\rho\log\sum_y
\pi_{\mathrm{ref}} e^{r/\beta}`.  Data: the count table ``wins[x, y, y']``
(:mod:`rlth.data.duels`), entering through :math:`\ell(\theta)` = the *summed* BT negative
log-likelihood (:mod:`rlth.estimators.preference`; summed, not averaged [R]).

The VPO objective (reward form)
-------------------------------
.. math::
    \hat\theta = \arg\min_{\theta\in\Theta}\; \ell(\theta) - \mathrm{sign}\cdot\alpha\cdot
    V_{\mathrm{cal}}(\theta), \qquad
    V_{\mathrm{cal}}(\theta) = \beta\sum_x q_X(x)\log\sum_y \pi_{\mathrm{ref}}(y|x)
    e^{r_\theta(x,y)/\beta} - \sum_{x,y} q(x, y)\, r_\theta(x, y),

``sign = +1`` online (optimism), ``-1`` offline (pessimism) [V abstract: "modulated by a sign"];
the policy is :math:`\hat\pi = \pi_{r_{\hat\theta}}`.  :math:`q` is the *calibration measure*, a
law on (context, response) with context marginal :math:`q_X` [R: "reward calibration" exploits
the BT shift ambiguity, V3]:

- ``"reference"``: :math:`q = \rho\otimes\pi_{\mathrm{ref}}` (default [R]);
- ``"uniform"``: :math:`q = \rho\otimes\mathrm{Unif}` [R];
- ``"chosen"`` (offline): the empirical law of (context, chosen response) of the data [R];
  its context marginal is then the data's, which keeps :math:`V_{\mathrm{cal}}` exactly
  invariant to :math:`r \to r + c(x)` [D] (with :math:`\rho` in the log-sum-exp it would not be);
- ``"samples"`` (online, XPO): the empirical law of the second responses drawn from
  :math:`\pi_{\mathrm{ref}}` so far;
- or any array ``q[X, Y]`` (non-negative, summing to 1).

Policy form [D, tested to 1e-12]: with :math:`r = \beta\log(\pi/\pi_{\mathrm{ref}}) + c(x)`,
:math:`V_{\mathrm{cal}} = -\beta\,\mathbb E_q\log(\pi/\pi_{\mathrm{ref}})` and :math:`\ell` is the
DPO loss, so VPO minimizes :math:`\ell_{\mathrm{DPO}}(\pi) + \mathrm{sign}\cdot\alpha\beta\,
\mathbb E_q\log(\pi/\pi_{\mathrm{ref}})` (:func:`vpo_policy_objective`); offline with the
chosen calibration this is DPO + :math:`\alpha\beta`-weighted NLL of the chosen responses, up to
a constant (:func:`dpo_nll_objective`).

Optimization
------------
- Offline (``sign = -1``): :math:`\ell + \alpha V_{\mathrm{cal}}` is convex (sum of convex
  functions: log-sum-exp of an affine map, minus a linear term).  :func:`vpo_offline` solves it
  unconstrained by Newton's method with Armijo backtracking to a relative gradient norm 1e-10
  and returns a certificate (gradient norm, Newton decrement, smallest Hessian eigenvalue).
- Online (``sign = +1``): :math:`\ell - \alpha V_{\mathrm{cal}}` is a difference of convex
  functions, nonconvex, and unbounded below when the duels are separable (e.g. with no data), so
  :math:`\Theta = \{\|\theta\|_2 \le R\}` [R: the paper's bounded class; ``radius``].
  :func:`vpo_online_fit` runs a local trust-region solver (:func:`minimize_on_ball`: the exact
  ball-constrained quadratic subproblem at every step) from a warm start, the origin and
  ``n_starts`` random points, and keeps the best; :func:`certify_ball_minimum` bounds the gap to
  the global minimum by branch and bound on the difference-of-convex split :math:`f = c - s`,
  :math:`s = \alpha\beta\sum_x q_X\log\sum_y\pi_{\mathrm{ref}}e^{r/\beta}`, whose Hessian is
  :math:`\preceq LI`, :math:`L = \alpha\max_x \mathrm{diam}_x(\phi)^2/(4\beta)` [D:
  :math:`\nabla^2 V_{\mathrm{cal}} = \beta^{-1}\mathbb E_{q_X}\mathrm{Cov}_{\pi_\theta}\phi`,
  Popoviciu's variance bound].  The gap it reports is the optimization gap that cannot be ruled
  out (``alpha = 0``, a convex problem: the Frank-Wolfe gap).

Parameters and their sources
----------------------------
- ``alpha``: value weight; the experiments use :math:`\alpha_t = c\sqrt{t/d}` online
  (``alpha_scale = c``, anytime form of the :math:`c\sqrt{T/d}` heuristic) and
  :math:`\alpha = c\sqrt{N/d}` offline [R: MEX-style balancing of a summed loss, not the
  paper's statement; the paper's schedule, constants and :math:`\kappa` factor are unverified].
- ``calibration``: see above [R].
- ``protocol`` (online): ``"cal"`` draws :math:`(y_1, y_2) \sim (\pi_t, \pi_{\mathrm{cal}})`,
  ``"self"`` draws :math:`(\pi_t, \pi_t)` [R: the paper's sampling line is unverified].
- ``radius`` :math:`R`: the norm ball of the online class [R]; the experiments pass
  :math:`\|\theta^*\|` (a known bound, as the theory assumes).
- ``ridge``: :math:`\tfrac\lambda2\|\theta\|^2` added to :math:`\ell` (default 0 = the paper's
  objective; the offline experiments use 1e-3 so that DPO has a finite minimizer on separable
  data [D]).
- Baselines [R, reconstructions, not the papers' exact constants]: greedy MLE / online DPO
  (``alpha = 0``); XPO (Xie et al. 2024, arXiv 2405.21046: the sampled-reference bonus, here VPO
  with ``calibration="samples"``, protocol (pi_t, pi_ref)); ellipsoidal optimism / pessimism on
  :math:`\theta` (after Zhu, Jordan, Jiao 2023, arXiv 2301.10598): the most optimistic
  (pessimistic) :math:`V_{\mathrm{cal}}` over :math:`\{\|\theta - \hat\theta\|_{\hat H} \le
  \gamma\}` with the ridge MLE :math:`\hat\theta` (``ridge = 1``), its Hessian :math:`\hat H` and
  :math:`\gamma` = ``conf_scale`` :math:`\sqrt{d + \log(1/\delta)}`; Thompson sampling from the
  Laplace posterior :math:`N(\hat\theta, \nu^2\hat H^{-1})`; uniform exploration (duels between
  uniform responses, the greedy estimate deployed).

Guarantee
---------
Cen et al. 2025 (abstract [V]; statements [R]): online regret
:math:`\sum_t J(r^*, \pi^*) - J(r^*, \pi_t) = \tilde O(\sqrt T)` and offline sub-optimality
:math:`J(r^*, \pi^*) - J(r^*, \hat\pi) = \tilde O(N^{-1/2})` times a coverage coefficient, for
linear rewards.  Exact facts checked instead of the unverified constants [D]: the policy-form
identity, offline convexity, the comparative statics (:math:`V_{\mathrm{cal}}(\hat\theta_\alpha)`
nondecreasing in :math:`\alpha` online, nonincreasing offline, at global minimizers),
``alpha = 0`` = DPO, chosen calibration = DPO + :math:`\alpha\beta` NLL.  See
:mod:`rlth.theory.vpo`.

References
----------
S. Cen et al., "Value-Incentivized Preference Optimization", ICLR 2025, arXiv 2405.19320.
R. Rafailov et al., "Direct Preference Optimization", NeurIPS 2023, arXiv 2305.18290.
T. Xie et al., "Exploratory Preference Optimization", arXiv 2405.21046 (XPO).
B. Zhu, M. I. Jordan, J. Jiao, "Principled Reinforcement Learning with Human Feedback from
Pairwise or K-wise Comparisons", ICML 2023, arXiv 2301.10598.
S. Boyd, L. Vandenberghe, "Convex Optimization", 2004, Sec. 9.5 (Newton, decrement).
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg

from ..._rng import as_generator
from ..._validation import (as_float_array, check_choice, check_delta, check_instance,
                           check_positive_float, check_positive_int, freeze)
from ...data.duels import chosen_measure
from ...estimators.preference import bt_loss_pairs, bt_mle, comparison_pairs
from ...models.bandits import LinearDuelingBandit
from ...solvers.preference import kl_optimal_policy

__all__ = ["CALIBRATIONS", "PROTOCOLS", "calibration_measure", "calibrated_value",
           "vpo_objective", "VPOFit", "vpo_offline", "vpo_online_fit", "minimize_on_ball",
           "BallCertificate", "certify_ball_minimum", "curvature_bound", "dpo_loss",
           "vpo_policy_objective", "dpo_nll_objective", "policy_logits", "offline_lcb",
           "DuelProposal", "VPOAgent", "EllipsoidUCBAgent", "ThompsonAgent", "UniformAgent",
           "alpha_schedule"]

CALIBRATIONS = ("reference", "uniform", "chosen", "samples")
PROTOCOLS = ("cal", "self")


# ================================================================================ validation

def _model(model):
    return check_instance("model", model, LinearDuelingBandit)


def _wins(model, wins):
    return as_float_array("wins", wins, shape=(model.n_contexts, model.n_responses,
                                                model.n_responses))


def _alpha(alpha):
    return check_positive_float("alpha", alpha, allow_zero=True)


def _sign(sign):
    if isinstance(sign, bool) or sign not in (1, -1):
        raise ValueError(f"sign: must be +1 (online, optimism) or -1 (offline, pessimism), "
                         f"got {sign!r}")
    return int(sign)


def calibration_measure(model: LinearDuelingBandit, calibration="reference",
                        wins=None) -> np.ndarray:
    r"""The calibration measure :math:`q[x, y]` (a law on (context, response)).

    Parameters
    ----------
    model : LinearDuelingBandit
    calibration : {"reference", "uniform", "chosen"} or array_like, shape (X, Y)
        See the module docstring; ``"chosen"`` needs ``wins``.  (``"samples"`` is built by
        :class:`VPOAgent` from its own draws.)
    wins : array_like, shape (X, Y, Y), optional

    Returns
    -------
    ndarray, shape (X, Y), non-negative, summing to 1.
    """
    model = _model(model)
    X, Y = model.n_contexts, model.n_responses
    if isinstance(calibration, str):
        calibration = check_choice("calibration", calibration, CALIBRATIONS[:3])
        if calibration == "reference":
            return model.context_probs[:, None] * model.pi_ref
        if calibration == "uniform":
            return np.repeat(model.context_probs[:, None] / Y, Y, axis=1)
        if wins is None:
            raise ValueError("wins: calibration='chosen' needs the duel counts")
        return chosen_measure(_wins(model, wins))
    q = as_float_array("calibration", calibration, shape=(X, Y))
    if np.any(q < 0) or abs(q.sum() - 1.0) > 1e-10:
        raise ValueError("calibration: a calibration measure must be non-negative and sum to 1 "
                         f"over (x, y), got min {q.min():.3g}, sum {q.sum()!r}")
    return q


def calibrated_value(model: LinearDuelingBandit, theta, q, *, hessian: bool = True):
    r""":math:`V_{\mathrm{cal}}(\theta)`, its gradient and Hessian.

    .. math::
        \nabla V_{\mathrm{cal}} = \sum_x q_X(x)\,\mathbb E_{\pi_\theta(\cdot|x)}\phi
        - \mathbb E_q\phi, \qquad
        \nabla^2 V_{\mathrm{cal}} = \beta^{-1}\sum_x q_X(x)\,
        \mathrm{Cov}_{\pi_\theta(\cdot|x)}\phi \succeq 0.

    ``q`` is not validated here (see :func:`calibration_measure`).
    """
    phi = model.phi
    r = phi @ theta
    logits = np.log(model.pi_ref) + r / model.beta
    mx = logits.max(axis=1)
    ex = np.exp(logits - mx[:, None])
    tot = ex.sum(axis=1)
    lse = mx + np.log(tot)
    pi = ex / tot[:, None]
    qx = q.sum(axis=1)
    value = float(model.beta * (qx @ lse) - np.sum(q * r))
    mean = np.matmul(pi[:, None, :], phi)[:, 0, :]
    grad = qx @ mean - q.ravel() @ phi.reshape(-1, phi.shape[2])
    if not hessian:
        return value, grad, None
    d = phi.shape[2]
    wphi = phi * (qx[:, None] * pi)[:, :, None]
    second = wphi.reshape(-1, d).T @ phi.reshape(-1, d)
    wmean = mean * qx[:, None]
    hess = (second - wmean.T @ mean) / model.beta
    return value, grad, 0.5 * (hess + hess.T)


def vpo_objective(model: LinearDuelingBandit, theta, wins, *, alpha: float, sign: int,
                  calibration="reference", ridge: float = 0.0):
    r"""Reward-form VPO objective :math:`\ell(\theta) + \tfrac\lambda2\|\theta\|^2 -
    \mathrm{sign}\,\alpha\,V_{\mathrm{cal}}(\theta)`, its gradient and Hessian (validated
    entry point; the solvers use the same arithmetic)."""
    model = _model(model)
    W = _wins(model, wins)
    theta = as_float_array("theta", theta, shape=(model.dim,))
    prob = _Problem.build(model, W, _alpha(alpha), _sign(sign),
                          calibration_measure(model, calibration, W),
                          check_positive_float("ridge", ridge, allow_zero=True))
    return prob(theta)


@dataclass
class _Problem:
    """The VPO objective on compressed data (no validation: built by validated callers)."""

    model: LinearDuelingBandit
    z: np.ndarray
    w: np.ndarray
    q: np.ndarray
    alpha: float
    sign: int
    ridge: float

    @classmethod
    def build(cls, model, W, alpha, sign, q, ridge):
        z, w = comparison_pairs(model.phi, W)
        return cls(model, z, w, q, alpha, sign, ridge)

    def __call__(self, theta, hessian=True):
        f, g, H = bt_loss_pairs(theta, self.z, self.w, self.ridge, hessian)
        if self.alpha != 0.0:
            v, gv, hv = calibrated_value(self.model, theta, self.q, hessian=hessian)
            c = self.sign * self.alpha
            f, g = f - c * v, g - c * gv
            if hessian:
                H = H - c * hv
        return f, g, H

    def split(self):
        r"""``(convex, smooth)`` with ``f = convex - smooth`` for ``sign = +1``: ``convex`` =
        :math:`\ell + \tfrac\lambda2\|\theta\|^2 + \alpha\mathbb E_q r_\theta`,
        ``smooth`` = :math:`\alpha\beta\sum_x q_X\log\sum_y\pi_{\mathrm{ref}}
        e^{r_\theta/\beta}` (convex, Hessian :math:`\preceq L I`, :func:`curvature_bound`)."""
        a = self.alpha
        lin = a * (self.q.ravel() @ self.model.phi.reshape(-1, self.model.dim))

        def convex(theta, hessian=True):
            f, g, H = bt_loss_pairs(theta, self.z, self.w, self.ridge, hessian)
            return f + float(lin @ theta), g + lin, H

        def smooth(theta, hessian=True):
            v, g, H = calibrated_value(self.model, theta, self.q, hessian=hessian)
            return a * v + float(lin @ theta), a * g + lin, \
                (a * H if hessian else None)

        return convex, smooth

    def scale(self):
        """Magnitude of the gradient's terms (for relative stopping rules)."""
        s = float(self.w @ np.linalg.norm(self.z, axis=1)) if self.w.size else 0.0
        return max(1.0, s + 2.0 * self.alpha * float(np.max(np.linalg.norm(self.model.phi,
                                                                           axis=2))))


# ================================================================================ results

@dataclass(frozen=True)
class VPOFit:
    r"""A VPO (or DPO / LCB) estimate with its optimization certificate.

    Attributes
    ----------
    theta : ndarray, shape (d,)
    pi : ndarray, shape (X, Y)
        :math:`\pi_{r_\theta}`.
    objective : float
        The minimized objective at ``theta``.
    calibrated_value : float
        :math:`V_{\mathrm{cal}}(\theta)`.
    grad_norm : float
        Stationarity residual: :math:`\|\nabla f\|` (unconstrained) or the projected-gradient
        residual :math:`\|\theta - P(\theta - \nabla f)\|` (ball).
    newton_decrement : float
        :math:`\lambda^2/2 = \nabla f^\top(\nabla^2 f)^{-1}\nabla f/2` (convex problems; the
        usual estimate of :math:`f - f^*`), NaN otherwise.
    min_hessian_eig : float
        Smallest eigenvalue of :math:`\nabla^2 f` at ``theta`` (>= 0 certifies local
        convexity).
    opt_gap : float
        Gap to the global minimum that is not ruled out: 0 up to ``newton_decrement`` for the
        convex offline problem; the branch-and-bound gap for a certified nonconvex fit; NaN when
        no certificate was computed.
    n_iter : int
    n_starts : int
    start_spread : float
        Max minus min of the local minima found from the starts (0 with one start).
    """

    theta: np.ndarray
    pi: np.ndarray
    objective: float
    calibrated_value: float
    grad_norm: float
    newton_decrement: float = float("nan")
    min_hessian_eig: float = float("nan")
    opt_gap: float = float("nan")
    n_iter: int = 0
    n_starts: int = 1
    start_spread: float = 0.0


def _fit(model, theta, prob, f, gnorm, dec, n_iter, gap=float("nan"), n_starts=1, spread=0.0):
    _, _, H = prob(theta)
    lam_min = float(np.linalg.eigvalsh(H)[0])
    v = calibrated_value(model, theta, prob.q, hessian=False)[0]
    pi = kl_optimal_policy(model, model.phi @ theta)
    theta = np.array(theta, dtype=np.float64)
    freeze(theta, pi)
    return VPOFit(theta, pi, float(f), v, float(gnorm), float(dec), lam_min, float(gap),
                  int(n_iter), int(n_starts), float(spread))


# ================================================================================ offline

def _newton(prob, theta, tol, max_iter):
    f, g, H = prob(theta)
    thr = tol * prob.scale()
    n = 0
    slack = 8 * np.finfo(float).eps
    while True:
        gn = float(np.linalg.norm(g))
        if gn <= thr:
            break
        if n >= max_iter:
            raise RuntimeError(f"vpo_offline: no convergence in max_iter={max_iter} Newton "
                               f"steps (gradient norm {gn:.3g} > {thr:.3g}): the objective may "
                               f"have no finite minimizer (separable duels with alpha = 0); "
                               f"use ridge > 0")
        try:
            fac = linalg.cho_factor(H, lower=True)
        except linalg.LinAlgError:
            raise RuntimeError("vpo_offline: singular Hessian (a direction of theta leaves "
                               "every compared difference and the calibrated value flat, or "
                               "the duels are separable); use ridge > 0") from None
        step = -linalg.cho_solve(fac, g)
        slope = float(g @ step)
        t = 1.0
        while True:
            cand = theta + t * step
            fc = prob(cand, hessian=False)[0]
            if fc <= f + 0.25 * t * slope + slack * abs(f):
                break
            t *= 0.5
            if t < 1e-14:
                raise RuntimeError("vpo_offline: line search failed")
        theta = cand
        f, g, H = prob(theta)
        n += 1
    try:
        fac = linalg.cho_factor(H, lower=True)
        dec = 0.5 * float(g @ linalg.cho_solve(fac, g))
    except linalg.LinAlgError:            # pragma: no cover - converged at a singular point
        dec = float("nan")
    return theta, f, gn, dec, n


def vpo_offline(model: LinearDuelingBandit, wins, alpha: float, *, calibration="reference",
                ridge: float = 0.0, tol: float = 1e-10, max_iter: int = 200) -> VPOFit:
    r"""Offline (pessimistic) VPO: minimize the convex :math:`\ell + \tfrac\lambda2\|\theta\|^2
    + \alpha V_{\mathrm{cal}}` by Newton's method (unconstrained).

    Parameters
    ----------
    model : LinearDuelingBandit
        Supplies :math:`\phi`, :math:`\pi_{\mathrm{ref}}`, :math:`\beta`, :math:`\rho` (never
        :math:`\theta^*`).
    wins : array_like, shape (X, Y, Y)
        Duel counts.
    alpha : float
        :math:`\alpha \ge 0` (``0``: DPO / the BT MLE).
    calibration : str or array_like
        See :func:`calibration_measure` [R].
    ridge : float, default 0
    tol : float, default 1e-10
        Stop when :math:`\|\nabla f\| \le` ``tol`` times the scale of the gradient's terms.
    max_iter : int

    Returns
    -------
    VPOFit
        With ``grad_norm``, ``newton_decrement``, ``min_hessian_eig`` (the certificate:
        convexity makes any stationary point global; ``opt_gap`` = the Newton decrement).

    Raises
    ------
    ValueError
        Bad shapes / values (``alpha < 0``, ``ridge < 0``, ``tol <= 0``, an unknown
        calibration, ``"chosen"`` with no duel).
    RuntimeError
        No finite minimizer (e.g. separable duels with ``alpha = ridge = 0``).

    Guarantee
    ---------
    Convex objective [D]: the returned point is within ``newton_decrement`` (approximately) of
    the global minimum value.  Sub-optimality rate: Cen et al. 2025, offline theorem [R].
    """
    model = _model(model)
    W = _wins(model, wins)
    a = _alpha(alpha)
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    tol = check_positive_float("tol", tol)
    max_iter = check_positive_int("max_iter", max_iter)
    if np.any(W < 0):
        raise ValueError(f"wins: counts must be >= 0, min is {W.min():.3g}")
    q = calibration_measure(model, calibration, W)
    prob = _Problem.build(model, W, a, -1, q, ridge)
    theta, f, gn, dec, n = _newton(prob, np.zeros(model.dim), tol, max_iter)
    return _fit(model, theta, prob, f, gn, dec, n, gap=dec)


# ================================================================================ ball solver

def _proj(x, radius):
    nx = float(np.linalg.norm(x))
    return x if nx <= radius else x * (radius / nx)


def _trs(H, b, R):
    r"""Global minimizer of :math:`\tfrac12 y^\top H y + b^\top y` over :math:`\|y\| \le R`
    (the trust-region subproblem; Moré & Sorensen 1983), by eigendecomposition and Newton's method
    on the secular equation :math:`1/\|y(\lambda)\| = 1/R` (hard case included)."""
    e, V = np.linalg.eigh(H)
    bt = V.T @ b
    e0 = float(e[0])
    if e0 > 0:
        y = -bt / e
        if float(np.linalg.norm(y)) <= R:
            return V @ y
    lo = max(0.0, -e0)

    def norm_at(lam):
        return float(np.linalg.norm(bt / (e + lam)))

    scale = max(abs(e0), float(abs(e[-1])), 1e-300)
    eps = 1e-14 * scale
    if norm_at(lo + eps) <= R:
        # hard case: ||y(lo)|| <= R; move along the bottom eigenvector to the sphere
        mask = np.abs(e + lo) > 1e-12 * scale
        y = np.zeros_like(bt)
        y[mask] = -bt[mask] / (e[mask] + lo)
        rest = R * R - float(y @ y)
        if rest > 0:
            y[0] += np.sqrt(rest)
        return V @ y
    # safeguarded Newton on phi(lam) = 1/||y(lam)|| - 1/R (increasing, concave: from the left
    # the iterates increase monotonically to the root; Moré & Sorensen 1983)
    lam = lo + eps
    bt2 = bt * bt
    for _ in range(100):
        den = e + lam
        n2 = float(np.sum(bt2 / (den * den)))
        nrm = np.sqrt(n2)
        phi = 1.0 / nrm - 1.0 / R
        if abs(phi) <= 1e-14 / R:
            break
        dphi = float(np.sum(bt2 / (den * den * den))) / (nrm * n2)
        step = phi / dphi
        lam_new = lam - step
        if not lam_new > lo:                 # pragma: no cover - concavity keeps lam > lo
            lam_new = 0.5 * (lam + lo)
        if abs(lam_new - lam) <= 1e-15 * max(1.0, lam):
            lam = lam_new
            break
        lam = lam_new
    y = -bt / (e + lam)
    ny = float(np.linalg.norm(y))
    if ny > R:                                # the root is approached from outside the ball
        y *= R / ny
    return V @ y


def minimize_on_ball(fun, x0, radius: float, *, tol: float = 1e-9, max_iter: int = 500):
    r"""Local minimization of a smooth function over :math:`\{\|x\|_2 \le R\}`.

    Each iteration solves the trust-region subproblem of the local quadratic model over the
    whole ball, :math:`\min_{\|y\|\le R} g^\top(y - x) + \tfrac12(y-x)^\top H (y-x)` (exact,
    :func:`_trs`: a Newton step inside the ball, a Lagrange-Newton step on its boundary), and
    accepts it if it decreases ``f`` by at least 1e-4 of the model decrease; otherwise it
    backtracks along it (when it is a descent direction) or takes a projected-gradient step
    along the projection arc (Bertsekas 1976).  Every accepted step decreases ``f``; stops when
    the projected-gradient residual :math:`\|x - P(x - \nabla f(x))\| \le` ``tol``.

    Parameters
    ----------
    fun : callable
        ``fun(x, hessian=True) -> (f, grad, hess)`` (``hess`` may be None when not asked).
    x0 : ndarray, shape (d,)
        Start (projected onto the ball).
    radius : float
    tol : float
        Absolute residual threshold.
    max_iter : int

    Returns
    -------
    x : ndarray
    f : float
    residual : float
    n_iter : int
    """
    x = _proj(np.array(x0, dtype=np.float64), radius)
    f, g, H = fun(x)
    step = None
    n = 0
    res = float(np.linalg.norm(x - _proj(x - g, radius)))
    while res > tol and n < max_iter:
        n += 1
        moved = False
        slack = 4 * np.finfo(float).eps * abs(f)       # rounding of f
        y = _proj(_trs(H, g - H @ x, radius), radius)
        d = y - x
        slope = float(g @ d)
        model_dec = slope + 0.5 * float(d @ H @ d)
        if model_dec < 0:
            fc = fun(y, hessian=False)[0]
            if fc <= f + 1e-4 * model_dec + slack:
                cand, moved = y, True
            elif slope < 0:
                t = 0.5
                while t > 1e-10:
                    cand = x + t * d
                    fc = fun(cand, hessian=False)[0]
                    if fc <= f + 1e-4 * t * slope + slack:
                        moved = True
                        break
                    t *= 0.5
        if not moved:
            s = step if step is not None else 1.0 / max(1.0, float(np.linalg.norm(g)))
            while s > 1e-16:
                cand = _proj(x - s * g, radius)
                fc = fun(cand, hessian=False)[0]
                if fc <= f + 1e-4 * float(g @ (cand - x)) + slack:
                    moved = True
                    break
                s *= 0.5
        if not moved:
            break
        fc, gc, Hc = fun(cand)
        dx, dg = cand - x, gc - g
        curv = float(dx @ dg)
        step = float(dx @ dx) / curv if curv > 0 else None
        x, f, g, H = cand, fc, gc, Hc
        res = float(np.linalg.norm(x - _proj(x - g, radius)))
    return x, float(f), res, n


@dataclass(frozen=True)
class BallCertificate:
    """Branch-and-bound certificate of a minimum over a ball.

    Attributes
    ----------
    upper : float
        Best objective value found (a feasible point's).
    lower : float
        Certified lower bound on the minimum over the ball.
    gap : float
        ``upper - lower`` (>= 0): the optimization gap not ruled out.
    n_nodes : int
    converged : bool
        Whether ``gap <= gap_tol`` was reached within the node budget.
    theta : ndarray
        The point achieving ``upper``.
    """

    upper: float
    lower: float
    gap: float
    n_nodes: int
    converged: bool
    theta: np.ndarray = field(repr=False)


def curvature_bound(model: LinearDuelingBandit, alpha: float) -> float:
    r""":math:`L = \alpha\max_x\mathrm{diam}_x(\phi)^2/(4\beta)` with
    :math:`\mathrm{diam}_x = \max_{y,y'}\|\phi(x,y) - \phi(x,y')\|`: an upper bound on
    :math:`\lambda_{\max}(\alpha\nabla^2 V_{\mathrm{cal}})` [D: Popoviciu's inequality for the
    variance of :math:`u^\top\phi` under :math:`\pi_\theta(\cdot|x)`]."""
    model = _model(model)
    a = _alpha(alpha)
    diff = model.phi[:, :, None, :] - model.phi[:, None, :, :]
    diam2 = float(np.max(np.sum(diff * diff, axis=3)))
    return a * diam2 / (4.0 * model.beta)


def _box_ball_proj(x, lo, hi, R, n=3):
    """A point of (approximately) box ∩ ball near ``x`` (alternating projections; only the
    tightness of :func:`_box_min_lower` depends on it, never its validity)."""
    x = np.clip(x, lo, hi)
    for _ in range(n):
        x = np.clip(_proj(x, R), lo, hi)
    return x


def _box_min_lower(k, lo, hi, R, p0, n_iter=4):
    r"""A valid lower bound on :math:`\min_{Q\cap B_R} k` for a convex ``k`` on the box
    :math:`Q = [lo, hi]`: at any point ``p``, :math:`k \ge k(p) + \nabla k(p)^\top(\theta - p)`,
    whose minimum over :math:`Q\cap B_R` is at least the larger of its minima over :math:`Q`
    and over :math:`B_R` [D].  ``p`` is improved by a few projected Newton / gradient steps from
    ``p0`` (the better ``p``, the tighter the bound)."""
    p = _box_ball_proj(p0, lo, hi, R)
    f, g, H = k(p)
    for _ in range(n_iter):
        moved = False
        try:
            cand = _box_ball_proj(p - np.linalg.solve(H, g), lo, hi, R)
            fc = k(cand, hessian=False)[0]
            moved = fc < f
        except np.linalg.LinAlgError:
            pass
        if not moved:
            s = 1.0 / max(1e-12, float(np.abs(np.diag(H)).max()))
            for _ in range(20):
                cand = _box_ball_proj(p - s * g, lo, hi, R)
                fc = k(cand, hessian=False)[0]
                if fc < f:
                    moved = True
                    break
                s *= 0.5
        if not moved:
            break
        p = cand
        f, g, H = k(p)
    box_min = float(g @ (np.where(g > 0, lo, hi) - p))
    ball_min = -R * float(np.linalg.norm(g)) - float(g @ p)
    return f + max(box_min, ball_min), p


def certify_ball_minimum(convex, smooth, radius: float, dim: int, curvature: float, *,
                         upper=None, theta_upper=None, gap_tol: float = 1e-6,
                         max_nodes: int = 20000) -> BallCertificate:
    r"""Branch and bound over boxes covering :math:`\{\|x\| \le R\}` for
    :math:`f = c - s` with ``c`` convex and ``s`` convex with :math:`\nabla^2 s \preceq LI`
    (``curvature = L``): the difference-of-convex form of the online VPO objective.

    On a box :math:`Q` with centre :math:`m` and half-widths :math:`h`,
    :math:`s(\theta) \le s(m) + \nabla s(m)^\top(\theta - m) + \tfrac L2\|h\|^2`, so

    .. math:: \min_Q f \ge \min_Q\big[c(\theta) - \nabla s(m)^\top(\theta - m)\big] - s(m)
              - \tfrac L2\|h\|^2,

    and the convex inner minimum is bounded below by a tangent plane at an approximate
    minimizer (:func:`_box_min_lower`; valid at any point) [D].  Boxes missing the ball are
    dropped; the box with the smallest bound is split along its longest side until the gap is
    at most ``gap_tol`` (absolute) or ``max_nodes`` boxes are bounded.

    Parameters
    ----------
    convex, smooth : callable
        ``fun(x, hessian=True) -> (value, grad, hess)``.
    radius, dim, curvature : float, int, float
    upper, theta_upper : float, ndarray, optional
        A known feasible value and point (e.g. from :func:`vpo_online_fit`).
    gap_tol : float
    max_nodes : int

    Returns
    -------
    BallCertificate
    """
    R = check_positive_float("radius", radius)
    L = check_positive_float("curvature", curvature, allow_zero=True)
    gap_tol = check_positive_float("gap_tol", gap_tol)
    max_nodes = check_positive_int("max_nodes", max_nodes)

    def f_of(x):
        return convex(x, hessian=False)[0] - smooth(x, hessian=False)[0]

    best_x = np.zeros(dim) if theta_upper is None else np.array(theta_upper, dtype=float)
    best = f_of(best_x) if upper is None else float(upper)

    def bound(c, h):
        sv, sg, _ = smooth(c, hessian=False)

        def k(x, hessian=True):
            cv, cg, cH = convex(x, hessian)
            return cv - float(sg @ (x - c)), cg - sg, cH

        inner, p = _box_min_lower(k, c - h, c + h, R, c)
        return inner - sv - 0.5 * L * float(h @ h), p

    heap = []
    counter = 0
    pruned = np.inf                           # smallest bound of a discarded box
    c0, h0 = np.zeros(dim), np.full(dim, R)
    lb, _ = bound(c0, h0)
    heapq.heappush(heap, (lb, counter, c0, h0))
    nodes = 1
    while heap and nodes < max_nodes:
        lb, _, c, h = heap[0]
        if best - lb <= gap_tol:
            break
        heapq.heappop(heap)
        i = int(np.argmax(h))
        h2 = h.copy()
        h2[i] *= 0.5
        for sgn in (-1.0, 1.0):
            c2 = c.copy()
            c2[i] += sgn * h2[i]
            if float(np.linalg.norm(np.maximum(np.abs(c2) - h2, 0.0))) > R:
                continue                      # the box misses the ball
            lb2, p = bound(c2, h2)
            nodes += 1
            for cand in (_proj(c2, R), _proj(p, R)):   # feasible points improve the upper bound
                fc = f_of(cand)
                if fc < best:
                    best, best_x = fc, cand
            if lb2 < best - gap_tol:
                counter += 1
                heapq.heappush(heap, (lb2, counter, c2, h2))
            else:
                pruned = min(pruned, lb2)
    lower = min(heap[0][0] if heap else np.inf, pruned, best)
    gap = best - lower
    return BallCertificate(float(best), float(lower), float(gap), nodes, bool(gap <= gap_tol),
                           np.array(best_x))


def vpo_online_fit(model: LinearDuelingBandit, wins, alpha: float, *, radius: float,
                   calibration="reference", ridge: float = 0.0, n_starts: int = 4,
                   theta0=None, rng=None, tol: float = 1e-9, certify: bool = False,
                   gap_tol: float = 1e-6, max_nodes: int = 20000) -> VPOFit:
    r"""Online (optimistic) VPO step: minimize the nonconvex :math:`\ell - \alpha
    V_{\mathrm{cal}}` over :math:`\|\theta\| \le` ``radius``.

    Local solver (:func:`minimize_on_ball`) from ``theta0`` (warm start), the origin and
    ``n_starts`` uniform random points of the ball; the best local minimum is returned.  With
    ``certify=True`` a branch-and-bound certificate (:func:`certify_ball_minimum`) bounds the
    gap to the global minimum (``opt_gap``); otherwise ``opt_gap`` is NaN and ``start_spread``
    reports how much the local minima disagreed.

    Parameters
    ----------
    model, wins, alpha, calibration, ridge
        As in :func:`vpo_offline` (``calibration`` may also be an array ``q``).
    radius : float
        :math:`R > 0` [R].
    n_starts : int, default 4
        Random restarts (>= 0).
    theta0 : array_like, optional
    rng : Generator, int or SeedSequence
        Draws the restarts.
    tol : float
        Relative projected-gradient residual.
    certify : bool
    gap_tol : float
        Relative (times ``max(1, |f|)``) gap target of the certificate.
    max_nodes : int

    Returns
    -------
    VPOFit

    Raises
    ------
    ValueError
        As :func:`vpo_offline`, plus ``radius <= 0``, ``n_starts < 0``.
    """
    model = _model(model)
    W = _wins(model, wins)
    a = _alpha(alpha)
    R = check_positive_float("radius", radius)
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    if isinstance(n_starts, bool) or not isinstance(n_starts, (int, np.integer)) or n_starts < 0:
        raise ValueError(f"n_starts: must be an integer >= 0, got {n_starts!r}")
    if np.any(W < 0):
        raise ValueError(f"wins: counts must be >= 0, min is {W.min():.3g}")
    q = calibration_measure(model, calibration, W)
    prob = _Problem.build(model, W, a, +1, q, ridge)
    x0 = None if theta0 is None else as_float_array("theta0", theta0, shape=(model.dim,))
    return _online_fit(model, prob, R, n_starts, x0, as_generator(rng),
                       check_positive_float("tol", tol), certify, gap_tol, max_nodes)


def _random_in_ball(rng, d, R):
    u = rng.standard_normal(d)
    return R * rng.random() ** (1.0 / d) * u / np.linalg.norm(u)


def _online_fit(model, prob, R, n_starts, x0, rng, tol, certify=False, gap_tol=1e-6,
                max_nodes=20000):
    d = model.dim
    starts = [np.zeros(d)] if x0 is None else [x0, np.zeros(d)]
    starts += [_random_in_ball(rng, d, R) for _ in range(n_starts)]
    thr = tol * prob.scale()
    best = None
    vals = []
    n_tot = 0
    for s in starts:
        x, f, res, n = minimize_on_ball(prob, s, R, tol=thr)
        n_tot += n
        vals.append(f)
        if best is None or f < best[1]:
            best = (x, f, res)
    x, f, res = best
    gap = float("nan")
    if certify and prob.alpha == 0.0:
        # convex problem: the Frank-Wolfe gap  g.x + R ||g||  bounds f(x) - min f [D]
        g = prob(x, hessian=False)[1]
        gap = max(0.0, float(g @ x) + R * float(np.linalg.norm(g)))
    elif certify:
        L = curvature_bound(model, prob.alpha)
        convex, smooth = prob.split()
        cert = certify_ball_minimum(convex, smooth, R, d, L, upper=f, theta_upper=x,
                                    gap_tol=gap_tol * max(1.0, abs(f)), max_nodes=max_nodes)
        if cert.upper < f - 1e-12 * max(1.0, abs(f)):     # B&B found a better basin: polish it
            x, f, res, n = minimize_on_ball(prob, cert.theta, R, tol=thr)
            n_tot += n
            cert = certify_ball_minimum(convex, smooth, R, d, L, upper=f, theta_upper=x,
                                        gap_tol=gap_tol * max(1.0, abs(f)),
                                        max_nodes=max_nodes)
        gap = max(0.0, f - cert.lower)
    return _fit(model, x, prob, f, res, float("nan"), n_tot, gap=gap, n_starts=len(starts),
                spread=max(vals) - min(vals))


# ================================================================================ policy form

def policy_logits(model: LinearDuelingBandit, pi) -> np.ndarray:
    r"""Implicit reward :math:`\beta\log(\pi/\pi_{\mathrm{ref}})` of a full-support policy,
    shape (X, Y) (DPO's reparametrization)."""
    model = _model(model)
    pi = as_float_array("pi", pi, shape=(model.n_contexts, model.n_responses))
    if np.any(pi <= 0):
        raise ValueError("pi: the policy form needs pi > 0 everywhere")
    return model.beta * (np.log(pi) - np.log(model.pi_ref))


def dpo_loss(model: LinearDuelingBandit, pi, wins) -> float:
    r"""Summed DPO loss :math:`-\sum W(x,y,y')\log\sigma(\beta[\log\tfrac{\pi}{\pi_{\mathrm{ref}}}
    (y|x) - \log\tfrac{\pi}{\pi_{\mathrm{ref}}}(y'|x)])` (Rafailov et al. 2023, eq. 7, summed)."""
    model = _model(model)
    W = _wins(model, wins)
    h = policy_logits(model, pi)
    diff = h[:, :, None] - h[:, None, :]
    return float(np.sum(W * np.logaddexp(0.0, -diff)))


def vpo_policy_objective(model: LinearDuelingBandit, pi, wins, *, alpha: float, sign: int,
                         calibration="reference") -> float:
    r"""Policy-form VPO objective :math:`\ell_{\mathrm{DPO}}(\pi) + \mathrm{sign}\cdot\alpha\beta
    \,\mathbb E_q\log(\pi/\pi_{\mathrm{ref}})` [D].  Equals the reward-form objective at any
    :math:`\theta` with :math:`\pi = \pi_{r_\theta}` (the value term is
    :math:`V_{\mathrm{cal}} = -\beta\,\mathbb E_q\log(\pi/\pi_{\mathrm{ref}})`)."""
    model = _model(model)
    W = _wins(model, wins)
    a = _alpha(alpha)
    s = _sign(sign)
    q = calibration_measure(model, calibration, W)
    h = policy_logits(model, pi)
    return dpo_loss(model, pi, W) + s * a * float(np.sum(q * h))


def dpo_nll_objective(model: LinearDuelingBandit, pi, wins, *, alpha: float) -> float:
    r""":math:`\ell_{\mathrm{DPO}}(\pi) + \alpha\beta\,\mathrm{NLL}(\pi)` with the mean NLL of
    the chosen responses, :math:`\mathrm{NLL} = -\frac1N\sum_i\log\pi(y_i^+|x_i)` (RPO /
    DPOP-like).  Offline VPO with ``calibration="chosen"`` minimizes this plus the constant
    :math:`\alpha\beta\,\mathbb E_q\log\pi_{\mathrm{ref}}` [D]."""
    model = _model(model)
    W = _wins(model, wins)
    a = _alpha(alpha)
    q = chosen_measure(W)
    pi = as_float_array("pi", pi, shape=(model.n_contexts, model.n_responses))
    if np.any(pi <= 0):
        raise ValueError("pi: needs pi > 0 everywhere")
    nll = -float(np.sum(q * np.log(pi)))
    return dpo_loss(model, pi, W) + a * model.beta * nll


# ================================================================================ offline LCB

def offline_lcb(model: LinearDuelingBandit, wins, *, conf_scale: float = 1.0,
                delta: float = 0.1, calibration="reference", ridge: float = 1.0,
                tol: float = 1e-10) -> VPOFit:
    r"""Ellipsoidal pessimism on :math:`\theta` (baseline, after Zhu, Jordan, Jiao 2023 [R]).

    :math:`\tilde\theta = \arg\min\{V_{\mathrm{cal}}(\theta) : \|\theta - \hat\theta\|_{\hat H}
    \le \gamma\}`, :math:`\hat\theta` the ridge MLE, :math:`\hat H` the Hessian of the
    penalized likelihood at it, :math:`\gamma` = ``conf_scale`` :math:`\sqrt{d + \log(1/\delta)}`
    [R]; :math:`\hat\pi = \pi_{r_{\tilde\theta}}`.  Convex (a convex function over an
    ellipsoid), solved by :func:`minimize_on_ball` in the whitened coordinates
    :math:`u = \hat H^{1/2}(\theta - \hat\theta)`.
    """
    model = _model(model)
    W = _wins(model, wins)
    cs = check_positive_float("conf_scale", conf_scale, allow_zero=True)
    delta = check_delta(delta)
    ridge = check_positive_float("ridge", ridge)
    q = calibration_measure(model, calibration, W)
    est = bt_mle(model.phi, W, ridge=ridge)
    return _ellipsoid_fit(model, est, q, cs * np.sqrt(model.dim + np.log(1.0 / delta)), -1,
                          tol, None, 0, None)[0]


def _ellipsoid_fit(model, est, q, gamma, direction, tol, rng, n_starts, x0):
    """min (direction=-1: pessimism) / max (+1: optimism) of V_cal over the ellipsoid."""
    Lc = linalg.cholesky(est.hessian, lower=True)          # H = L L^T
    # theta = theta_hat + L^{-T} u
    def theta_of(u):
        return est.theta + linalg.solve_triangular(Lc.T, u, lower=False)

    Minv = linalg.solve_triangular(Lc, np.eye(model.dim), lower=True)  # L^{-1}

    def fun(u, hessian=True):
        v, g, H = calibrated_value(model, theta_of(u), q, hessian=hessian)
        s = -direction                       # minimize s * V
        g = s * (Minv @ g)
        if hessian:
            H = s * (Minv @ H @ Minv.T)
        return s * v, g, H

    d = model.dim
    if gamma == 0.0:
        u = np.zeros(d)
        f = fun(u, hessian=False)[0]
        res = 0.0
        n = 0
    else:
        starts = [np.zeros(d)] if x0 is None else [x0, np.zeros(d)]
        if rng is not None:
            starts += [_random_in_ball(rng, d, gamma) for _ in range(n_starts)]
        best = None
        n = 0
        for s0 in starts:
            u, f, res, k = minimize_on_ball(fun, s0, gamma, tol=tol * max(1.0, gamma))
            n += k
            if best is None or f < best[1]:
                best = (u, f, res)
        u, f, res = best
    theta = theta_of(u)
    v = calibrated_value(model, theta, q, hessian=False)[0]
    pi = kl_optimal_policy(model, model.phi @ theta)
    freeze(theta, pi)
    return VPOFit(theta, pi, float(f), v, float(res), n_iter=n), u


# ================================================================================ online agents

@dataclass(frozen=True)
class DuelProposal:
    """What an online dueling agent does in one round.

    Attributes
    ----------
    policy : ndarray, shape (X, Y)
        The policy :math:`\\pi_t` whose regret is charged.
    first, second : ndarray, shape (X, Y)
        Laws of the two dueling responses.
    opt_gap : float
        The agent's certified optimization gap this round (NaN if not certified).
    """

    policy: np.ndarray
    first: np.ndarray
    second: np.ndarray
    opt_gap: float = float("nan")


def alpha_schedule(alpha_scale: float, t: int, dim: int) -> float:
    r""":math:`\alpha_t = c\sqrt{\max(t, 1)/d}` (anytime form of :math:`c\sqrt{T/d}` [R])."""
    return float(alpha_scale) * float(np.sqrt(max(int(t), 1) / dim))


class _DuelAgentBase:
    """Duel counts and the (pi_t, pi_cal) / (pi_t, pi_t) protocol shared by the agents."""

    def __init__(self, *, radius: float, protocol: str = "cal", calibration="reference",
                 certify_rounds=(), n_starts: int = 2, gap_tol: float = 1e-6,
                 max_nodes: int = 20000, rng=None):
        self.radius = check_positive_float("radius", radius)
        self.protocol = check_choice("protocol", protocol, PROTOCOLS)
        if isinstance(calibration, str):
            calibration = check_choice("calibration", calibration,
                                       ("reference", "uniform", "samples"))
        self.calibration = calibration
        self.certify_rounds = frozenset(int(t) for t in certify_rounds)
        if isinstance(n_starts, bool) or not isinstance(n_starts, (int, np.integer)) \
                or n_starts < 0:
            raise ValueError(f"n_starts: must be an integer >= 0, got {n_starts!r}")
        self.n_starts = int(n_starts)
        self.gap_tol = check_positive_float("gap_tol", gap_tol)
        self.max_nodes = check_positive_int("max_nodes", max_nodes)
        self._rng_arg = rng

    # -- protocol
    def reset(self, model: LinearDuelingBandit, n_rounds: int) -> None:
        self.model = _model(model)
        X, Y = model.n_contexts, model.n_responses
        self.W = np.zeros((X, Y, Y))
        self.cal_counts = np.zeros((X, Y))
        self.theta = np.zeros(model.dim)
        self.rng = as_generator(self._rng_arg)
        if isinstance(self.calibration, str) and self.calibration != "samples":
            self.q = calibration_measure(model, self.calibration)
        elif isinstance(self.calibration, str):
            self.q = calibration_measure(model, "reference")
        else:
            self.q = calibration_measure(model, self.calibration)
        if isinstance(self.calibration, str) and self.calibration in ("reference", "samples"):
            self.pi_cal = model.pi_ref.copy()
        else:
            qx = self.q.sum(axis=1, keepdims=True)
            self.pi_cal = np.where(qx > 0, self.q / np.where(qx > 0, qx, 1.0),
                                   1.0 / Y)
        self.t = 0

    def _current_q(self):
        if isinstance(self.calibration, str) and self.calibration == "samples" \
                and self.cal_counts.sum() > 0:
            return self.cal_counts / self.cal_counts.sum()
        return self.q

    def _proposal(self, pi, gap=float("nan")):
        second = self.pi_cal if self.protocol == "cal" else pi
        return DuelProposal(pi, pi, second, gap)

    def observe(self, x: int, y1: int, y2: int, first_won: bool) -> None:
        """Record the duel of ``y1`` (drawn from ``first``) with ``y2`` (from ``second``)."""
        if first_won:
            self.W[x, y1, y2] += 1.0
        else:
            self.W[x, y2, y1] += 1.0
        self.cal_counts[x, y2] += 1.0
        self.t += 1


class VPOAgent(_DuelAgentBase):
    r"""Online VPO (optimistic, ``sign = +1``) [R loop, ``vpo_glow_v2.md`` II.2].

    Round :math:`t`: :math:`\theta_t = \arg\min_{\|\theta\|\le R}\ell_t(\theta) -
    \alpha_t V_{\mathrm{cal}}(\theta)` (:func:`vpo_online_fit`, warm start + restarts),
    :math:`\pi_t = \pi_{r_{\theta_t}}`, duel :math:`(\pi_t, \pi_{\mathrm{cal}})` or
    :math:`(\pi_t, \pi_t)`.  ``alpha_scale = 0`` is greedy MLE / online DPO;
    ``calibration="samples"`` with protocol ``"cal"`` is the XPO-style sampled bonus.

    Parameters
    ----------
    alpha_scale : float
        :math:`c` of :math:`\alpha_t = c\sqrt{\max(t,1)/d}` [R].
    radius : float
        :math:`R` [R].
    protocol : {"cal", "self"}
    calibration : {"reference", "uniform", "samples"} or array
    certify_rounds : iterable of int
        Rounds (0-based) at which the fit is certified by branch and bound; the gap is
        reported in :attr:`DuelProposal.opt_gap`.
    n_starts : int
        Random restarts per round.
    rng : seed for the restarts.
    """

    def __init__(self, alpha_scale: float = 1.0, *, radius: float, protocol: str = "cal",
                 calibration="reference", certify_rounds=(), n_starts: int = 2,
                 gap_tol: float = 1e-6, max_nodes: int = 20000, rng=None):
        super().__init__(radius=radius, protocol=protocol, calibration=calibration,
                         certify_rounds=certify_rounds, n_starts=n_starts, gap_tol=gap_tol,
                         max_nodes=max_nodes, rng=rng)
        self.alpha_scale = check_positive_float("alpha_scale", alpha_scale, allow_zero=True)

    def propose(self, t: int) -> DuelProposal:
        m = self.model
        a = alpha_schedule(self.alpha_scale, self.t, m.dim)
        prob = _Problem.build(m, self.W, a, +1, self._current_q(), 0.0)
        certify = t in self.certify_rounds
        fit = _online_fit(m, prob, self.radius, self.n_starts, self.theta, self.rng, 1e-9,
                          certify, self.gap_tol, self.max_nodes)
        self.theta = np.array(fit.theta)
        self.last_fit = fit
        return self._proposal(fit.pi, fit.opt_gap)


class EllipsoidUCBAgent(_DuelAgentBase):
    r"""Ellipsoidal optimism on :math:`\theta` (baseline [R]): the most optimistic calibrated
    value over :math:`\{\|\theta - \hat\theta_t\|_{\hat H_t} \le \gamma\}` (ridge MLE,
    ``ridge = 1``), :math:`\gamma` = ``conf_scale`` :math:`\sqrt{d + \log(1/\delta)}`; a
    convex maximization, solved by restarts (no certificate)."""

    def __init__(self, conf_scale: float = 1.0, *, delta: float = 0.1, ridge: float = 1.0,
                 radius: float = 1.0, protocol: str = "cal", calibration="reference",
                 n_starts: int = 2, rng=None):
        super().__init__(radius=radius, protocol=protocol, calibration=calibration,
                         n_starts=n_starts, rng=rng)
        self.conf_scale = check_positive_float("conf_scale", conf_scale, allow_zero=True)
        self.delta = check_delta(delta)
        self.ridge = check_positive_float("ridge", ridge)

    def propose(self, t: int) -> DuelProposal:
        m = self.model
        est = bt_mle(m.phi, self.W, ridge=self.ridge, theta0=getattr(self, "_mle", None))
        self._mle = est.theta
        gamma = self.conf_scale * np.sqrt(m.dim + np.log(1.0 / self.delta))
        fit, u = _ellipsoid_fit(m, est, self._current_q(), gamma, +1, 1e-9, self.rng,
                                self.n_starts, getattr(self, "_u", None))
        self._u = u
        return self._proposal(fit.pi)


class ThompsonAgent(_DuelAgentBase):
    r"""Thompson sampling from the Laplace posterior :math:`N(\hat\theta_t, \nu^2\hat H_t^{-1})`
    of the ridge MLE (``ridge = 1``, ``nu = 1``) [R]."""

    def __init__(self, nu: float = 1.0, *, ridge: float = 1.0, radius: float = 1.0,
                 protocol: str = "cal", calibration="reference", rng=None):
        super().__init__(radius=radius, protocol=protocol, calibration=calibration, rng=rng)
        self.nu = check_positive_float("nu", nu, allow_zero=True)
        self.ridge = check_positive_float("ridge", ridge)

    def propose(self, t: int) -> DuelProposal:
        m = self.model
        est = bt_mle(m.phi, self.W, ridge=self.ridge, theta0=getattr(self, "_mle", None))
        self._mle = est.theta
        Lc = linalg.cholesky(est.hessian, lower=True)
        z = self.rng.standard_normal(m.dim)
        theta = est.theta + self.nu * linalg.solve_triangular(Lc.T, z, lower=False)
        return self._proposal(kl_optimal_policy(m, m.phi @ theta))


class UniformAgent(_DuelAgentBase):
    r"""Uniform exploration: both responses uniform; the policy charged is the greedy
    (ball-constrained MLE) policy :math:`\pi_{r_{\hat\theta_t}}` [R]."""

    def propose(self, t: int) -> DuelProposal:
        m = self.model
        prob = _Problem.build(m, self.W, 0.0, +1, self.q, 0.0)
        fit = _online_fit(m, prob, self.radius, 0, self.theta, self.rng, 1e-9)
        self.theta = np.array(fit.theta)
        unif = np.full((m.n_contexts, m.n_responses), 1.0 / m.n_responses)
        return DuelProposal(fit.pi, unif, unif)
