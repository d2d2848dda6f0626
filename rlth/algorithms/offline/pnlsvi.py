r"""PNLSVI: Pessimistic Nonlinear Least-Squares Value Iteration (Di, Zhao, He, Gu 2024).

Q. Di, H. Zhao, J. He, Q. Gu, "Pessimistic Nonlinear Least-Squares Value Iteration for Offline
Reinforcement Learning", ICLR 2024, arXiv 2310.01380.  Algorithm 1, line by line [V] (read in
the NeurIPS-2023 submission text; ``shared/theory/pnlsvi_hetpevi_stepmix_v2.md`` 1.2)::

    1  split the data into D (planning) and D' (variance)            -> two independent folds
    2  for h = H..1 (on D', unit weights):
    3    f~'_h = argmin_{f in F_h} sum_k (f(z'_k) - r'_k - f^'_{h+1}(s'_{k+1}))^2
    4    g~'_h = argmin_{g in F_h} sum_k (g(z'_k) - (r'_k + f^'_{h+1}(s'_{k+1}))^2)^2
    5    b'_h  = B(1, D'_h, F_h, f~'_h, beta'_1 + beta'_2, lam, eps)
    6    f^'_h = {f~'_h - b'_h - eps}_[0, H-h+1]
    7    sigma^2_h = max{1, g~'_h - (f~'_h)^2 - O(sqrt(log(N N_b)) H^3 / (sqrt K kappa))}
    9  for h = H..1 (on D):
    10   f~_h = argmin_{f in F_h} sum_k (f(z_k) - r_k - f^_{h+1}(s_{k+1}))^2 / sigma^2_h(z_k)
    11   b_h  = B(sigma_h, D_h, F_h, f~_h, beta_h, lam, eps)
    12   f^_h = {f~_h - b_h - eps}_[0, H-h+1]
    13   pi^_h(s) = argmax_a f^_h(s, a)

The bonus oracle B (Definition 4.1 [V]) must return ``b`` with (ii) validity ``b(z) >= max{|f(z) -
f^(z)| : f in F_h, sum_k (f - f^)^2(z_k) / sigma^2(z_k) <= beta^2}`` and (iii) tightness ``b(z) <=
C (D_F(z; D_h; sigma) sqrt(beta^2 + lam) + eps beta)``, where ``D^2_F(z; D; sigma) = sup_{f1, f2}
(f1(z) - f2(z))^2 / (sum_k (f1 - f2)^2(z_k) / sigma^2(z_k) + lam)`` (the weight enters squared: rlth
uses ``sigma = sqrt(variance)``, the only reading under which Theorem 5.1, Remark 5.2 and lines
7/10 agree, v2 note 1.4 [D]).

Two function classes
--------------------
* **linear** (:func:`pnlsvi_linear`, Remark 5.2): ``F_h = {<phi, theta>}``; lines 3, 4, 10 are
  (weighted) ridge regressions from counts, the oracle is the elliptical bonus ``beta ||phi||_{
  Sigma_h^{-1}}`` (valid and tight with ``C = 1``, ``eps = 0`` in an exact linear MDP [D]).
* **finite** (:func:`pnlsvi_finite`): ``F[h, M, S, A]``, an explicit array of M candidate functions
  per stage (the nonlinear setting of the paper, made exact): the argmins by enumeration, and the
  oracle *computed exactly*: ``b(z) = max{|f(z) - f^(z)| : f in F_h within the weighted radius
  beta}`` (:func:`finite_class_bonus`), the smallest valid bonus; it satisfies tightness with
  ``C = 1, eps = 0`` because ``f^ in F_h`` (:func:`d2_divergence`) [D].  Both properties are tested.

Fidelity (constants; the paper gives none of the absolute constants) [V] = read in the paper
---------------------------------------------------------------------------------------------
- Algorithm structure, the sum radius of line 5, reward inside the second moment (line 4), no
  clipping of the moments (lines 3, 4, 7), the subtracted correction (line 7) [V].
- ``beta'_1 = beta'_2 = sqrt(log(N N_b)) H^2`` and ``beta = sqrt(log N)`` (Theorem 5.1 orders [V],
  constant 1 [R]); linear class ``log N = d zeta``, ``log(N N_b) = 2 d zeta``,
  ``zeta = log(2 d H K / delta)`` [D] (an eps-net of a d-ball; Remark 5.2's sqrt(log N) -> sqrt d);
  finite class ``log N = log(2 M H / delta)`` (union over the class and the stages) and
  ``N_b = N`` [D].
- Correction ``corr_scale * sqrt(log(N N_b)) H^3 / sqrt(K kappa)`` (eq. (6.1), default) or
  ``/ (sqrt(K) kappa)`` (line 7): ``corr_form`` [V both printed]; ``corr_scale = 1`` is the "paper"
  mode [R constant]; any other value is the named "scaled" mode.
- ``lam`` is not an input of Algorithm 1 [V]: linear class ``1/H^2`` (Xiong et al., Remark 5.2
  [V3]); finite class ``lam = 1`` [R].  ``eps = 0`` (exact linear MDP; the finite class reports
  its measured completeness error instead) [D].
- Named deviations: ``sigma2=`` (oracle variance ``[V_h V*_{h+1}]``, bypasses lines 2-8),
  ``beta_scale``, ``pilot_beta_scale``, ``corr_scale``.
- Random rewards: the second moment is exact from counts only for deterministic rewards (see
  :func:`rlth.estimators.linear.second_moment_sums_from_counts`); rlth's instances use them.

References
----------
Di, Zhao, He, Gu (2024), arXiv 2310.01380: Algorithm 1, Definition 4.1, Assumptions 3.1, 3.3,
Theorem 5.1, Remark 5.2, eq. (6.1), Lemmas 6.1-6.4.
Xiong et al. (2023), arXiv 2205.15512 (LinPEVI-ADV+, lam = 1/H^2) [V3].

Guarantee
---------
Theorem 5.1: for K >= Omega~(log(N N_b) H^6 / kappa^2), w.p. >= 1 - delta, ``V*_1(s) -
V^{pi^}_1(s) <= O~(sqrt(log N)) sum_h E_{pi*}[D_{F_h}(z_h; D_h; [V_h V*_{h+1}])]``; for the linear
class (Remark 5.2) ``O~(sqrt d) sum_h E_{pi*} ||phi||_{Sigma*_h^{-1}}``.  Lemma 6.4: on the event
``|T_h f^_{h+1} - f~_h| <= b_h``, ``SubOpt <= 2 sum_h E_{pi*}[b_h]``.  Checked as
``pnlsvi.linear.*`` and ``pnlsvi.finite.*`` (:mod:`rlth.theory.pnlsvi`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..._validation import (as_float_array, check_choice, check_delta, check_positive_float,
                           check_positive_int)
from ...estimators.confidence import (VARIANCE_CORRECTION_FORMS, linear_log_term,
                                      variance_correction)
from ...estimators.linear import second_moment_sums_from_counts, target_sums_from_counts
from .pevi import (PessimisticVIResult, VariancePilot, check_folds,
                   linear_variance_pilot, pessimistic_linear_vi)

__all__ = ["PNLSVIResult", "pnlsvi_linear", "linear_constants", "check_function_class",
           "finite_class_fit", "d2_divergence", "finite_class_bonus", "pnlsvi_finite",
           "finite_constants"]


@dataclass(frozen=True)
class PNLSVIResult:
    """Output of PNLSVI.

    Attributes
    ----------
    plan : PessimisticVIResult
        Lines 9-14 (``plan.V`` is ``f^``, ``plan.policy`` is ``pi^``, ``plan.bonus`` is ``b_h``).
    variance : VariancePilot or None
        Lines 2-8 (None in the oracle-variance mode).
    sigma2 : ndarray, shape (H, S, A)
        The weights used in line 10.
    constants : dict
        ``beta``, ``beta_pilot`` (= beta'_1 + beta'_2), ``lam``, ``eps``, ``correction``,
        ``log_N``, ``log_NNb``.
    """

    plan: PessimisticVIResult
    variance: VariancePilot | None
    sigma2: np.ndarray
    constants: dict


def _check_knobs(beta_scale, pilot_beta_scale, corr_scale, corr_form):
    """The named scale knobs (``>= 0``) and ``corr_form``, each error naming its argument."""
    check_choice("corr_form", corr_form, VARIANCE_CORRECTION_FORMS)
    return tuple(check_positive_float(name, v, allow_zero=True) for name, v in
                 (("beta_scale", beta_scale), ("pilot_beta_scale", pilot_beta_scale),
                  ("corr_scale", corr_scale)))


def _constants(log_N, H, n_episodes, kappa, beta_scale, pilot_beta_scale, corr_scale,
               corr_form, *, lam) -> dict:
    """The constants of Algorithm 1 given the class's ``log N`` (``log N_b = 2 log N``)."""
    log_NNb = 2.0 * log_N
    return {
        "beta": beta_scale * math.sqrt(log_N),
        "beta_pilot": pilot_beta_scale * 2.0 * math.sqrt(log_NNb) * H ** 2,
        "correction": variance_correction(log_NNb, H, n_episodes, kappa, form=corr_form,
                                          scale=corr_scale),
        "lam": lam, "eps": 0.0, "log_N": log_N, "log_NNb": log_NNb,
    }


def linear_constants(dim: int, horizon: int, n_episodes: int, delta: float, kappa: float, *,
                     beta_scale: float = 1.0, pilot_beta_scale: float = 1.0,
                     corr_scale: float = 1.0, corr_form: str = "sqrt_Kkappa") -> dict:
    """PNLSVI's constants for the linear class (module docstring, Fidelity)."""
    beta_scale, pilot_beta_scale, corr_scale = _check_knobs(beta_scale, pilot_beta_scale,
                                                            corr_scale, corr_form)
    log_N = dim * linear_log_term(dim, horizon, n_episodes, delta)
    return _constants(log_N, horizon, n_episodes, kappa, beta_scale, pilot_beta_scale,
                      corr_scale, corr_form, lam=1.0 / horizon ** 2)


def pnlsvi_linear(phi, data, data_var, *, delta: float, kappa: float, beta_scale: float = 1.0,
                  pilot_beta_scale: float = 1.0, corr_scale: float = 1.0,
                  corr_form: str = "sqrt_Kkappa", lam: float | None = None,
                  sigma2=None) -> PNLSVIResult:
    r"""PNLSVI (Algorithm 1) on the linear class (Remark 5.2), from counts.

    Parameters
    ----------
    phi : array_like, shape (S, A, d) or (H, S, A, d)
    data : TransitionDataset
        D, counts ``[H, S, A]`` of K trajectories (planning, lines 9-14).
    data_var : TransitionDataset
        D', an independent fold (variance, lines 2-8).
    delta : float
        Failure probability in (0, 1).
    kappa : float
        Uniform coverage constant (Assumption 3.3), ``> 0``.
    beta_scale, pilot_beta_scale, corr_scale : float
        Multipliers of ``beta_h``, ``beta'_1 + beta'_2`` and the line-7 correction (1 = paper
        mode; ``corr_scale != 1`` is the named "scaled" mode).
    corr_form : {"sqrt_Kkappa", "sqrtK_kappa"}
        Eq. (6.1) (default) or Algorithm 1 line 7.
    lam : float, optional
        Ridge parameter, default ``1/H^2``.
    sigma2 : array_like, shape (H, S, A), optional
        Oracle variance mode: the weights of line 10 (e.g. ``max{1, Var_h V*_{h+1}}``); lines
        2-8 are skipped.

    Returns
    -------
    PNLSVIResult

    Guarantee
    ---------
    Theorem 5.1 / Remark 5.2 (module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from rlth.instances.linear_offline import onehot_low_variance
    >>> from rlth.data import sample_trajectory_folds
    >>> inst = onehot_low_variance(horizon=3)
    >>> D, Dv = sample_trajectory_folds(inst.model.mdp, inst.behavior, 10**6, 2, rng=0,
    ...                                 reward="mean")
    >>> res = pnlsvi_linear(inst.model.phi, D, Dv, delta=0.1, kappa=0.08)
    >>> res.plan.policy.shape, bool(res.sigma2.min() >= 1.0)
    ((3, 4), True)
    """
    phi, H, K = check_folds(phi, data, data_var)
    delta = check_delta(delta)
    kappa = check_positive_float("kappa", kappa)
    c = linear_constants(phi.shape[-1], H, K, delta, kappa, beta_scale=beta_scale,
                         pilot_beta_scale=pilot_beta_scale, corr_scale=corr_scale,
                         corr_form=corr_form)
    if lam is not None:
        c["lam"] = check_positive_float("lam", lam)
    variance = None
    if sigma2 is None:
        variance = linear_variance_pilot(phi, data_var, lam=c["lam"], pilot_beta=c["beta_pilot"],
                                         correction=c["correction"],
                                         reward_in_second_moment=True, clip_moments=False)
        sigma2 = variance.sigma2
    else:
        sigma2 = _check_sigma2(sigma2, data.counts.shape)
    plan = pessimistic_linear_vi(phi, data, beta=c["beta"], lam=c["lam"], sigma2=sigma2)
    return PNLSVIResult(plan, variance, np.asarray(sigma2), c)


def _check_sigma2(sigma2, shape):
    s2 = as_float_array("sigma2", sigma2, shape=shape)
    if np.any(s2 < 1.0):
        raise ValueError(f"sigma2: truncated variances must be >= 1, min is {s2.min():.3g}")
    return s2


# ============================================================================ finite class
def check_function_class(F, horizon: int, n_states: int, n_actions: int) -> np.ndarray:
    """Validate a finite class ``F[H, M, S, A]`` (finite entries, ``M >= 1``)."""
    F = as_float_array("F", F, ndim=4)
    if F.shape[0] != horizon or F.shape[2:] != (n_states, n_actions) or F.shape[1] < 1:
        raise ValueError(f"F: expected shape (H, M, S, A) with (H, S, A) = "
                         f"{(horizon, n_states, n_actions)} and M >= 1, got {F.shape}")
    return F


def _weights(counts, sigma2):
    w = np.asarray(counts, dtype=np.float64)
    return w if sigma2 is None else w / sigma2


def finite_class_fit(F_h, counts, target_sums, sigma2=None) -> int:
    r"""Weighted least squares over a finite class by enumeration (Alg. 1 lines 3, 4, 10).

    ``argmin_j sum_k (F_h[j](z_k) - y_k)^2 / sigma^2(z_k) = argmin_j sum_{s,a} (n f_j^2 - 2 f_j
    Y) / sigma^2`` (the ``sum y^2`` term does not depend on j), lowest index on ties.

    Parameters
    ----------
    F_h : ndarray, shape (M, S, A)
    counts : ndarray of int, shape (S, A)
    target_sums : ndarray, shape (S, A)
        ``Y(s, a) = sum of the targets of the cell``.
    sigma2 : ndarray, shape (S, A), optional

    Returns
    -------
    int
        Index of the minimizer.
    """
    w = _weights(counts, sigma2)
    Yw = target_sums if sigma2 is None else target_sums / sigma2
    loss = np.einsum("msa,sa->m", F_h * F_h, w) - 2.0 * np.einsum("msa,sa->m", F_h, Yw)
    return int(np.argmin(loss))


def d2_divergence(F_h, counts, sigma2=None, *, lam: float = 1.0) -> np.ndarray:
    r"""The D^2-divergence of every cell, exactly, by enumerating the pairs of the class.

    .. math:: D^2_F(z; D; \sigma) = \max_{f_1, f_2 \in F} \frac{(f_1(z) - f_2(z))^2}
              {\sum_{s,a} n(s,a) (f_1 - f_2)^2(s,a) / \sigma^2(s,a) + \lambda}

    (Di et al. 2024, after Definition 3.2 [V]; ``sigma2`` is the *squared* weight).

    Parameters
    ----------
    F_h : ndarray, shape (M, S, A)
    counts : ndarray of int, shape (S, A)
    sigma2 : ndarray, shape (S, A), optional
    lam : float > 0

    Returns
    -------
    ndarray, shape (S, A)
    """
    lam = check_positive_float("lam", lam)
    w = _weights(counts, sigma2)
    diff = F_h[:, None] - F_h[None, :]                    # [M, M, S, A]
    den = np.einsum("ijsa,sa->ij", diff * diff, w) + lam
    return np.max((diff * diff) / den[:, :, None, None], axis=(0, 1))


def finite_class_bonus(F_h, f_hat_index: int, counts, sigma2=None, *, beta: float) -> np.ndarray:
    r"""The exact bonus oracle of Definition 4.1 on a finite class.

    ``b(z) = max{|f(z) - f^(z)| : f in F_h, sum_{s,a} n (f - f^)^2 / sigma^2 <= beta^2}``: the
    smallest function satisfying validity (ii); since ``f^ = F_h[f_hat_index]`` belongs to the
    class, ``b(z)^2 <= D^2_F(z) (beta^2 + lam)`` for every ``lam > 0``, i.e. tightness (iii) with
    ``C = 1, eps = 0`` [D].

    Parameters
    ----------
    F_h : ndarray, shape (M, S, A)
    f_hat_index : int
    counts : ndarray of int, shape (S, A)
    sigma2 : ndarray, shape (S, A), optional
    beta : float >= 0

    Returns
    -------
    ndarray, shape (S, A)
    """
    beta = check_positive_float("beta", beta, allow_zero=True)
    w = _weights(counts, sigma2)
    diff = F_h - F_h[f_hat_index]
    dist2 = np.einsum("msa,sa->m", diff * diff, w)
    inside = dist2 <= beta * beta
    return np.max(np.abs(diff[inside]), axis=0)


def finite_constants(n_candidates: int, horizon: int, n_episodes: int, delta: float,
                     kappa: float, *, beta_scale: float = 1.0, pilot_beta_scale: float = 1.0,
                     corr_scale: float = 1.0, corr_form: str = "sqrt_Kkappa",
                     lam: float = 1.0) -> dict:
    """PNLSVI's constants for a finite class of ``n_candidates`` functions per stage."""
    beta_scale, pilot_beta_scale, corr_scale = _check_knobs(beta_scale, pilot_beta_scale,
                                                            corr_scale, corr_form)
    n_candidates = check_positive_int("n_candidates", n_candidates)
    horizon = check_positive_int("horizon", horizon)
    log_N = math.log(2.0 * n_candidates * horizon / check_delta(delta))
    return _constants(log_N, horizon, n_episodes, kappa, beta_scale, pilot_beta_scale,
                      corr_scale, corr_form, lam=check_positive_float("lam", lam))


def _finite_pass(F, data, *, beta, lam, eps, sigma2, second_moment):
    H, S, A = data.counts.shape
    V = np.zeros((H + 1, S))
    Q = np.zeros((H, S, A))
    mean = np.zeros((H, S, A))
    bonus = np.zeros((H, S, A))
    second = np.zeros((H, S, A)) if second_moment else None
    chosen = np.zeros(H, dtype=np.int64)
    rbar = np.divide(data.reward_sums, data.counts, out=np.zeros((H, S, A)),
                     where=data.counts > 0)
    for h in range(H - 1, -1, -1):
        n = data.counts[h]
        s2 = None if sigma2 is None else sigma2[h]
        Y = target_sums_from_counts(data.next_counts[h], V[h + 1], data.reward_sums[h])
        j = finite_class_fit(F[h], n, Y, s2)
        chosen[h] = j
        mean[h] = F[h, j]
        if second_moment:
            Y2 = second_moment_sums_from_counts(data.next_counts[h], V[h + 1], rbar[h])
            second[h] = F[h, finite_class_fit(F[h], n, Y2, None)]
        bonus[h] = finite_class_bonus(F[h], j, n, s2, beta=beta)
        Q[h] = np.clip(mean[h] - bonus[h] - eps, 0.0, float(H - h))
        V[h] = Q[h].max(axis=1)
    grams = np.zeros((H, 0, 0))
    res = PessimisticVIResult(np.argmax(Q, axis=2).astype(np.int64), Q, V, mean, bonus, grams,
                              float(beta), float(lam), float(eps), sigma2)
    return res, second, chosen


def pnlsvi_finite(F, data, data_var, *, delta: float, kappa: float, beta_scale: float = 1.0,
                  pilot_beta_scale: float = 1.0, corr_scale: float = 1.0,
                  corr_form: str = "sqrt_Kkappa", lam: float = 1.0, eps: float = 0.0,
                  sigma2=None) -> PNLSVIResult:
    r"""PNLSVI (Algorithm 1) on a finite function class ``F[H, M, S, A]``, with the exact oracle.

    Parameters
    ----------
    F : array_like, shape (H, M, S, A)
        ``F[h]``: the M candidate functions of stage h (used for the first and second moments
        alike, as in lines 3-4 and 10).
    data, data_var : TransitionDataset
        D and D' (counts ``[H, S, A]``).
    delta, kappa : float
        Failure probability; coverage constant of Assumption 3.3 for the class
        (:func:`rlth.theory.pnlsvi.finite_class_kappa` computes it exactly).
    beta_scale, pilot_beta_scale, corr_scale, corr_form, lam, eps, sigma2
        As in :func:`pnlsvi_linear` (``lam = 1`` [R] and the completeness slack ``eps`` of lines
        6 and 12, default 0).

    Returns
    -------
    PNLSVIResult
        ``constants`` also holds ``chosen`` (the index of f~_h per stage) and ``chosen_pilot``.

    Guarantee
    ---------
    Theorem 5.1 (module docstring); the oracle satisfies Definition 4.1 (ii)-(iii) with ``C = 1``.
    """
    phi_dummy = np.zeros(data.counts.shape[1:] + (1,))
    _, H, K = check_folds(phi_dummy, data, data_var)
    S, A = data.counts.shape[1:]
    F = check_function_class(F, H, S, A)
    delta = check_delta(delta)
    kappa = check_positive_float("kappa", kappa)
    eps = check_positive_float("eps", eps, allow_zero=True)
    c = finite_constants(F.shape[1], H, K, delta, kappa, beta_scale=beta_scale,
                         pilot_beta_scale=pilot_beta_scale, corr_scale=corr_scale,
                         corr_form=corr_form, lam=lam)
    c["eps"] = eps
    variance = None
    if sigma2 is None:
        pilot, second, chosen_p = _finite_pass(F, data_var, beta=c["beta_pilot"], lam=lam,
                                               eps=eps, sigma2=None, second_moment=True)
        raw = second - pilot.mean ** 2
        s2 = np.maximum(1.0, raw - c["correction"])
        variance = VariancePilot(s2, raw, c["correction"], pilot)
        c["chosen_pilot"] = chosen_p
        sigma2 = s2
    else:
        sigma2 = _check_sigma2(sigma2, (H, S, A))
    plan, _, chosen = _finite_pass(F, data, beta=c["beta"], lam=lam, eps=eps, sigma2=sigma2,
                                   second_moment=False)
    c["chosen"] = chosen
    return PNLSVIResult(plan, variance, np.asarray(sigma2), c)
