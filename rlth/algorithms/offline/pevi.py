r"""PEVI and LinPEVI-ADV+: pessimistic value iteration for linear MDPs, from counts.

**PEVI** (Jin, Yang, Wang, "Is Pessimism Provably Efficient for Offline RL?", ICML 2021,
arXiv 2012.15085, Algorithm 2 with the linear-MDP penalty of Theorem 4.4)::

    V_{H+1} = 0
    for h = H..1:
        Lambda_h = sum_k phi phi^T + lam I                                     (lam = 1)   [V3]
        w_h      = Lambda_h^{-1} sum_k phi (r_h^k + V_{h+1}(s_{h+1}^k))                    [V3]
        Gamma_h  = beta ||phi||_{Lambda_h^{-1}},  beta = c d H sqrt(zeta),
                   zeta = log(2 d H K / delta)                                  (c = 1 [R])
        Q_h      = min{phi^T w_h - Gamma_h, H - h + 1}^+ ;  pi_h = argmax_a Q_h ;  V_h = max_a Q_h

**LinPEVI-ADV+** (Xiong, Zhong, Shi, Shen, Wang, Zhang, ICLR 2023, arXiv 2205.15512, as
restated line by line by Tan et al., NeurIPS 2024, App. A, Alg. 3, lines 21-28 [V3])::

    lam = 1/H^2 ;  beta = O~(sqrt d) = c sqrt(d zeta)                (c = 1, log zeta [R])
    on D':  pilot pessimistic V'_{h+1}                  (an unweighted PEVI pass on D' [R])
            b2 = ridge(phi, V'_{h+1}(s')^2),  b1 = ridge(phi, V'_{h+1}(s'))              [V3]
            sigma_h^2 = max{1, [phi^T b2]_[0,H^2] - [phi^T b1]_[0,H]^2 - d H^3 / sqrt(K kappa)}
                                                       (correction constant 1 [R], scale knob)
    on D:   Sigma_h = sum phi phi^T / sigma_h^2 + lam I ;  w_h = Sigma_h^{-1} sum phi y / sigma^2
            Gamma_h = beta ||phi||_{Sigma_h^{-1}} ;  Q_h = {phi^T w_h - Gamma_h}_[0, H-h+1]

Both read only the per-stage sufficient statistics of the data (``TransitionDataset`` of K
trajectories: counts ``[H, S, A]``, reward sums, next-state counts), so a run costs
``O(H (S A d^2 + d^3 + S^2 A))`` whatever K is.  The regressions are those of
:mod:`rlth.estimators.linear`; the radii are :func:`rlth.estimators.confidence.pevi_beta` and
:func:`rlth.estimators.confidence.sqrt_d_beta`.

Fidelity
--------
- PEVI ``lam = 1`` [V3]; ``beta = c d H sqrt(zeta)``, ``zeta = log(2dHK/delta)`` [V3 form], ``c``
  unspecified absolute constant in the paper: ``beta_scale = 1`` default [R].
- Clip to ``[0, H - h + 1]`` (stages 1-indexed; ``[0, H - h]`` for rlth's 0-indexed ``h``) [V3].
- LinPEVI-ADV+: ``lam = 1/H^2`` [V3], ``beta = O(sqrt d)`` [V3] with constant 1 and ``sqrt(zeta)``
  [R]; moments clipped to ``[0, H^2]`` / ``[0, H]`` [V3]; variance fit without the reward
  (deterministic reward) [V3]; correction ``d H^3 / sqrt(K kappa)`` [V3 order, R constant];
  the pilot on D' is an unweighted pessimistic pass with ``lam = 1/H^2`` and the same ``beta``
  [R] (Xiong's pilot is LinPEVI-ADV, not available in the restatement).
- Ties of ``argmax`` go to the lowest action index [D].
- Named knobs: ``beta_scale`` (multiplies the radius), ``corr_scale`` (multiplies the variance
  correction), ``sigma2`` (oracle variance: bypasses the estimate; not the paper's algorithm).

References
----------
Y. Jin, Z. Yang, Z. Wang, "Is Pessimism Provably Efficient for Offline RL?", ICML 2021,
arXiv 2012.15085, Algorithm 2, Theorem 4.4.
W. Xiong, H. Zhong, C. Shi, C. Shen, L. Wang, T. Zhang, "Nearly Minimax Optimal Offline RL with
Linear Function Approximation: Single-Agent MDP and Markov Game", ICLR 2023, arXiv 2205.15512.
K. Tan, W. Fan, Y. Wei, "Hybrid RL breaks sample size barriers in linear MDPs", NeurIPS 2024,
App. A, Alg. 3 (the restatement read) [V3].
Q. Di, H. Zhao, J. He, Q. Gu, arXiv 2310.01380, Remark 5.2 and Lemma 6.4 (the sub-optimality
decomposition SubOpt <= 2 sum_h E_{pi*}[Gamma_h]).

Guarantee
---------
PEVI: with probability >= 1 - delta, ``V*_1 - V^{pi_hat}_1 <= 2 beta sum_h E_{pi*}
||phi||_{Lambda_h^{-1}} = O~(d H sum_h E_{pi*} ||phi||_{Lambda_h^{-1}})`` (Jin et al. Thm 4.4).
LinPEVI-ADV+: for ``K > Omega~(d^2 H^6)``, ``O~(sqrt d sum_h E_{pi*} ||phi||_{Sigma*_h^{-1}})``,
``Sigma*_h = sum phi phi^T / [V_h V*_{h+1}] + lam I`` (Xiong et al. Thm 2 [V3]).  Both imply the
pessimism ``V_hat <= V^{pi_hat} <= V*`` on the good event.  Checked as ``pnlsvi.pevi.*`` and
``pnlsvi.adv.*`` (:mod:`rlth.theory.pnlsvi`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._validation import as_float_array, check_delta, check_instance, check_positive_float
from ...data.datasets import TransitionDataset
from ...estimators.confidence import pevi_beta, sqrt_d_beta, variance_correction
from ...estimators.linear import (elliptical_norms, ridge_from_counts,
                                  second_moment_sums_from_counts, target_sums_from_counts)

__all__ = ["PessimisticVIResult", "VariancePilot", "check_linear_data", "check_folds",
           "pessimistic_linear_vi", "linear_variance_pilot", "pevi", "lin_pevi_adv_plus"]


@dataclass(frozen=True)
class PessimisticVIResult:
    """Output of a pessimistic (weighted) least-squares value iteration.

    Attributes
    ----------
    policy : ndarray of int64, shape (H, S)
        Greedy policy ``argmax_a Q[h, s, a]`` (lowest index on ties).
    Q : ndarray, shape (H, S, A)
        Pessimistic Q-values, clipped to ``[0, H - h]`` (0-indexed h).
    V : ndarray, shape (H + 1, S)
        ``V[h] = max_a Q[h]``, ``V[H] = 0``.
    mean : ndarray, shape (H, S, A)
        The regression prediction ``phi^T w_h`` before the penalty (``f_tilde_h``).
    bonus : ndarray, shape (H, S, A)
        The penalty ``Gamma_h = beta ||phi||_{Lambda_h^{-1}}`` (``b_h``).
    gram : ndarray, shape (H, d, d)
        ``Lambda_h`` (weighted when ``sigma2`` was given).
    beta, lam, eps : float
    sigma2 : ndarray, shape (H, S, A), or None
        The variance weights used (None: unweighted).
    """

    policy: np.ndarray
    Q: np.ndarray
    V: np.ndarray
    mean: np.ndarray
    bonus: np.ndarray
    gram: np.ndarray
    beta: float
    lam: float
    eps: float
    sigma2: np.ndarray | None


@dataclass(frozen=True)
class VariancePilot:
    """The variance-estimation phase on D' (PNLSVI Alg. 1 lines 2-8; ADV+ on D').

    Attributes
    ----------
    sigma2 : ndarray, shape (H, S, A)
        The estimate ``max{1, second - first^2 - correction}``.
    raw : ndarray, shape (H, S, A)
        ``second - first^2`` before the correction and the floor at 1.
    correction : float
        The amount subtracted.
    pilot : PessimisticVIResult
        The pessimistic pilot pass (its ``V`` is ``f_hat'``).
    """

    sigma2: np.ndarray
    raw: np.ndarray
    correction: float
    pilot: PessimisticVIResult


def check_linear_data(phi, data, name: str = "data"):
    """Validate ``phi[S, A, d]`` / ``phi[H, S, A, d]`` against a finite-horizon dataset.

    Returns ``(phi, H, K)``; ``ValueError`` naming ``phi`` or ``data`` otherwise (wrong shapes,
    NaN features, a dataset without a stage axis or with ``K <= 0`` episodes).
    """
    check_instance(name, data, TransitionDataset)
    if data.horizon is None:
        raise ValueError(f"{name}: needs the finite-horizon form (counts [H, S, A]), got "
                         f"shape {data.counts.shape}")
    H, S, A = data.counts.shape
    phi = as_float_array("phi", phi, ndim=(3, 4))
    if phi.shape[-3:-1] != (S, A) or (phi.ndim == 4 and phi.shape[0] != H):
        raise ValueError(f"phi: expected shape (S, A, d) or (H, S, A, d) with (H, S, A) = "
                         f"{(H, S, A)} from {name}, got {phi.shape}")
    if phi.shape[-1] < 1:
        raise ValueError(f"phi: feature dimension must be >= 1, got shape {phi.shape}")
    K = int(data.n_samples)
    if K <= 0:
        raise ValueError(f"{name}: needs K >= 1 episodes, got n_samples = {K}")
    return phi, H, K


def check_folds(phi, data, data_var):
    """Validate the planning fold, then the variance fold against it; returns ``(phi, H, K)``."""
    phi, H, K = check_linear_data(phi, data)
    check_instance("data_var", data_var, TransitionDataset)
    if data_var.counts.shape != data.counts.shape:
        raise ValueError(f"data_var: counts shape {data_var.counts.shape} differs from data's "
                         f"{data.counts.shape}")
    check_linear_data(phi, data_var, name="data_var")
    return phi, H, K


def _phi_h(phi: np.ndarray, h: int) -> np.ndarray:
    return phi if phi.ndim == 3 else phi[h]


def _reward_means(data: TransitionDataset) -> np.ndarray:
    n = data.counts
    return np.divide(data.reward_sums, n, out=np.zeros(n.shape), where=n > 0)


def pessimistic_linear_vi(phi, data, *, beta, lam: float, sigma2=None,
                          eps: float = 0.0) -> PessimisticVIResult:
    r"""Pessimistic (weighted) ridge value iteration, the shared core of PEVI, LinPEVI-ADV+ and
    PNLSVI on the linear class.

    For ``h = H-1, ..., 0``: ``f_tilde_h = phi^T w_h`` with ``w_h`` the (``1/sigma2``-weighted)
    ridge fit of the targets ``r + V_{h+1}(s')``, ``b_h = beta_h ||phi||_{Lambda_h^{-1}}``,
    ``Q_h = clip(f_tilde_h - b_h - eps, 0, H - h)``, ``V_h = max_a Q_h`` (PNLSVI Alg. 1 lines
    10-13 with the linear bonus oracle of Remark 5.2; PEVI Alg. 2 with ``eps = 0``,
    ``sigma2 = 1``).

    Parameters
    ----------
    phi : array_like, shape (S, A, d) or (H, S, A, d)
    data : TransitionDataset
        Finite-horizon counts ``[H, S, A]`` of K trajectories.
    beta : float or array_like of shape (H,)
        Radius (per stage).
    lam : float
        Ridge parameter ``> 0``.
    sigma2 : array_like, shape (H, S, A), optional
        Variance weights ``>= 1`` (None: unweighted).
    eps : float
        Completeness slack subtracted with the bonus (Alg. 1 line 12); 0 for a linear MDP.

    Returns
    -------
    PessimisticVIResult
    """
    phi, H, K = check_linear_data(phi, data)
    S, A = data.counts.shape[1:]
    lam = check_positive_float("lam", lam)
    eps = check_positive_float("eps", eps, allow_zero=True)
    betas = np.broadcast_to(as_float_array("beta", beta, ndim=(0, 1)), (H,)).copy()
    if np.any(betas < 0):
        raise ValueError(f"beta: must be >= 0, got {betas}")
    if sigma2 is not None:
        sigma2 = as_float_array("sigma2", sigma2, shape=(H, S, A))
        if np.any(sigma2 <= 0):
            raise ValueError("sigma2: variance weights must be > 0")
    d = phi.shape[-1]
    V = np.zeros((H + 1, S))
    Q = np.zeros((H, S, A))
    mean = np.zeros((H, S, A))
    bonus = np.zeros((H, S, A))
    grams = np.zeros((H, d, d))
    for h in range(H - 1, -1, -1):
        ph = _phi_h(phi, h)
        Y = target_sums_from_counts(data.next_counts[h], V[h + 1], data.reward_sums[h])
        est = ridge_from_counts(ph, data.counts[h], Y, lam=lam,
                                sigma2=None if sigma2 is None else sigma2[h])
        mean[h] = ph @ est.w
        bonus[h] = betas[h] * elliptical_norms(ph, est.gram)
        Q[h] = np.clip(mean[h] - bonus[h] - eps, 0.0, float(H - h))
        V[h] = Q[h].max(axis=1)
        grams[h] = est.gram
    policy = np.argmax(Q, axis=2).astype(np.int64)
    return PessimisticVIResult(policy, Q, V, mean, bonus, grams, float(betas.max()), lam, eps,
                               sigma2)


def linear_variance_pilot(phi, data_var, *, lam: float, pilot_beta: float, correction: float,
                          reward_in_second_moment: bool, clip_moments: bool,
                          eps: float = 0.0) -> VariancePilot:
    r"""Variance estimation on the second fold D' (PNLSVI Alg. 1 lines 2-8 / ADV+ on D').

    1. the pilot: an unweighted pessimistic pass on D' with radius ``pilot_beta`` gives
       ``f_hat'_{h+1}`` (Alg. 1 lines 3, 5, 6);
    2. ``first = phi^T ridge(r + f_hat'_{h+1}(s'))`` (line 3) and ``second = phi^T ridge((r +
       f_hat'_{h+1}(s'))^2)`` (line 4; without the reward when ``reward_in_second_moment`` is
       False: Xiong's ``V'^2``, and then the first moment is ``ridge(V')`` too);
    3. ``clip_moments`` (ADV+ [V3]; PNLSVI does not clip [V]): ``second`` to ``[0, H^2]`` and
       ``first`` to ``[0, H]``;
    4. ``sigma2 = max{1, second - first^2 - correction}`` (line 7: deliberately below the true
       truncated variance).

    Parameters
    ----------
    phi : array_like, shape (S, A, d) or (H, S, A, d)
    data_var : TransitionDataset
        The fold D' (never the planning fold).
    lam, pilot_beta, correction : float
    reward_in_second_moment, clip_moments : bool
    eps : float

    Returns
    -------
    VariancePilot
    """
    phi, H, K = check_linear_data(phi, data_var, name="data_var")
    correction = check_positive_float("correction", correction, allow_zero=True)
    pilot = pessimistic_linear_vi(phi, data_var, beta=pilot_beta, lam=lam, eps=eps)
    S, A = data_var.counts.shape[1:]
    rbar = _reward_means(data_var) if reward_in_second_moment else np.zeros((H, S, A))
    raw = np.zeros((H, S, A))
    for h in range(H):
        ph = _phi_h(phi, h)
        n = data_var.counts[h]
        Vn = pilot.V[h + 1]
        Y1 = target_sums_from_counts(data_var.next_counts[h], Vn,
                                     data_var.reward_sums[h] if reward_in_second_moment else None)
        Y2 = second_moment_sums_from_counts(data_var.next_counts[h], Vn, rbar[h])
        first = ph @ ridge_from_counts(ph, n, Y1, lam=lam).w
        second = ph @ ridge_from_counts(ph, n, Y2, lam=lam).w
        if clip_moments:
            second = np.clip(second, 0.0, float(H) ** 2)
            first = np.clip(first, 0.0, float(H))
        raw[h] = second - first * first
    sigma2 = np.maximum(1.0, raw - correction)
    return VariancePilot(sigma2, raw, correction, pilot)


def pevi(phi, data, *, delta: float, beta_scale: float = 1.0, lam: float = 1.0,
         beta: float | None = None) -> PessimisticVIResult:
    r"""PEVI for linear MDPs (Jin, Yang, Wang 2021, Algorithm 2; radius of Theorem 4.4).

    Parameters
    ----------
    phi : array_like, shape (S, A, d) or (H, S, A, d)
        Features :math:`\phi` (the paper's ``phi``).
    data : TransitionDataset
        Counts ``[H, S, A]`` of K trajectories (the paper's D; ``K = data.n_samples``).
    delta : float
        Failure probability :math:`\xi` of the paper, in (0, 1).
    beta_scale : float, default 1
        ``c`` in ``beta = c d H sqrt(zeta)`` (1 = rlth's paper mode [R]).
    lam : float, default 1
        Ridge parameter (paper: 1 [V3]).
    beta : float, optional
        Override the radius entirely.

    Returns
    -------
    PessimisticVIResult

    Guarantee
    ---------
    Jin et al. (2021), Theorem 4.4: w.p. >= 1 - delta, SubOpt <= 2 beta sum_h E_{pi*}
    ||phi(s_h, a_h)||_{Lambda_h^{-1}} (checked as ``pnlsvi.pevi.subopt``).

    Examples
    --------
    >>> import numpy as np
    >>> from rlth.instances.linear_offline import onehot_low_variance
    >>> from rlth.data import sample_trajectory_dataset
    >>> inst = onehot_low_variance(horizon=3)
    >>> D = sample_trajectory_dataset(inst.model.mdp, inst.behavior, 10**6, rng=0, reward="mean")
    >>> res = pevi(inst.model.phi, D, delta=0.1)
    >>> res.Q.shape, bool(np.all(res.V[0] <= 3))
    ((3, 4, 2), True)
    """
    phi, H, K = check_linear_data(phi, data)
    delta = check_delta(delta)
    if beta is None:
        beta_scale = check_positive_float("beta_scale", beta_scale)
        beta = pevi_beta(phi.shape[-1], H, K, delta, c=beta_scale)
    return pessimistic_linear_vi(phi, data, beta=beta, lam=lam)


def lin_pevi_adv_plus(phi, data, data_var, *, delta: float, kappa: float,
                      beta_scale: float = 1.0, corr_scale: float = 1.0, lam: float | None = None,
                      sigma2=None) -> tuple[PessimisticVIResult, VariancePilot | None]:
    r"""LinPEVI-ADV+ (Xiong et al. 2023, as restated by Tan et al. 2024, App. A, Alg. 3).

    Parameters
    ----------
    phi : array_like, shape (S, A, d) or (H, S, A, d)
    data : TransitionDataset
        The planning fold D.
    data_var : TransitionDataset
        The independent variance fold D' (same K).
    delta : float
        Failure probability in (0, 1).
    kappa : float
        Coverage :math:`\kappa = \min_h \lambda_{\min}(E_\mu[\phi\phi^\top]) > 0` (known to the
        algorithm, as in the paper; :func:`rlth.estimators.linear.coverage_kappa`).
    beta_scale : float
        ``c`` in ``beta = c sqrt(d zeta)`` (1: paper mode [R]).
    corr_scale : float
        Multiplies the correction ``d H^3 / sqrt(K kappa)`` (1: paper mode [R]).
    lam : float, optional
        Default ``1/H^2`` [V3].
    sigma2 : array_like, shape (H, S, A), optional
        Oracle variance mode: use these weights instead of the estimate from D' (a named
        deviation, not the paper's algorithm).

    Returns
    -------
    (PessimisticVIResult, VariancePilot or None)
        The planning pass and the variance phase (None in the oracle mode).

    Guarantee
    ---------
    Xiong et al. (2023), Theorem 2 [V3]: for K > Omega~(d^2 H^6), w.p. >= 1 - delta, SubOpt =
    O~(sqrt d sum_h E_{pi*} ||phi||_{Sigma*_h^{-1}}) (checked as ``pnlsvi.adv.*``).
    """
    phi, H, K = check_folds(phi, data, data_var)
    delta = check_delta(delta)
    kappa = check_positive_float("kappa", kappa)
    beta_scale = check_positive_float("beta_scale", beta_scale)
    corr_scale = check_positive_float("corr_scale", corr_scale, allow_zero=True)
    d = phi.shape[-1]
    lam = 1.0 / H ** 2 if lam is None else lam
    beta = sqrt_d_beta(d, H, K, delta, c=beta_scale)
    pilot = None
    if sigma2 is None:
        corr = variance_correction(float(d) ** 2, H, K, kappa, form="sqrt_Kkappa",
                                   scale=corr_scale)
        pilot = linear_variance_pilot(phi, data_var, lam=lam, pilot_beta=beta, correction=corr,
                                      reward_in_second_moment=False, clip_moments=True)
        sigma2 = pilot.sigma2
    return pessimistic_linear_vi(phi, data, beta=beta, lam=lam, sigma2=sigma2), pilot
