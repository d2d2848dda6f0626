r"""Least squares in a linear MDP from counts: Gram matrices, (weighted) ridge, elliptical norms.

For a finite-state linear MDP with features :math:`\phi(s, a) \in \mathbb R^d` (``phi[S, A, d]``,
or ``phi[H, S, A, d]`` per stage), a dataset of tuples :math:`(s^\tau, a^\tau, r^\tau,
s'^\tau)` enters every regression of PEVI-type algorithms only through sums over the samples of
each cell, so the estimators below read the sufficient statistics -- counts :math:`n(s, a)`,
reward sums and next-state counts -- instead of the samples:

.. math::
    \Lambda &= \lambda I + \sum_\tau \frac{\phi(z^\tau)\phi(z^\tau)^\top}{\sigma^2(z^\tau)}
             = \lambda I + \sum_{s,a} \frac{n(s,a)}{\sigma^2(s,a)}\, \phi(s,a)\phi(s,a)^\top, \\
    \hat w &= \Lambda^{-1} \sum_\tau \frac{\phi(z^\tau)\, y^\tau}{\sigma^2(z^\tau)}
            = \Lambda^{-1} \sum_{s,a} \frac{\phi(s,a)\, Y(s,a)}{\sigma^2(s,a)}, \qquad
    Y(s,a) = \sum_{\tau: z^\tau = (s,a)} y^\tau ,

with :math:`z = (s, a)`.  For the Bellman target :math:`y = r + V(s')`,
:math:`Y(s, a) = \Sigma_r(s, a) + \sum_{s'} n(s, a, s') V(s')` (:func:`target_sums_from_counts`).
:math:`\sigma^2 \equiv 1` is ordinary ridge regression (PEVI, Jin, Yang, Wang 2021, Alg. 2);
a per-cell :math:`\sigma^2` is the variance-weighted ridge of LinPEVI-ADV+ (Xiong et al. 2023)
and PNLSVI (Di et al. 2024) (weight ``1 / sigma^2``, i.e. ``sigma = sqrt(Var)``; see
``docs/explanation/theory_notes.md``, PNLSVI 1.4).  The uncertainty of a prediction
:math:`\phi^\top \hat w` is the elliptical norm :math:`\|\phi\|_{\Lambda^{-1}} =
\sqrt{\phi^\top \Lambda^{-1} \phi}`.

Every solve uses a Cholesky factor of :math:`\Lambda` (``scipy.linalg``), never an explicit
inverse.

Shapes: ``phi[S, A, d]`` or ``phi[H, S, A, d]``; per-cell tables (``counts``, ``sigma2``,
``target_sums``) ``[S, A]`` or ``[H, S, A]``.  If either ``phi`` or a table carries a stage
axis, the result has one (``[H, d, d]``, ``[H, d]``, ``[H, S, A]``), the stationary input being
shared by every stage.

Functions
---------
gram_matrix
    :math:`\Lambda` from counts (optionally variance-weighted).
target_sums_from_counts
    :math:`Y(s, a) = \Sigma_r(s,a) + \sum_{s'} n(s,a,s') V(s')` from counts.
ridge_from_counts
    :math:`\hat w` and :math:`\Lambda` (a :class:`RidgeEstimate`).
elliptical_norms
    :math:`\|\phi(s, a)\|_{\Lambda^{-1}}` for every (s, a) at once.
second_moment_sums_from_counts
    :math:`Y_2(s, a) = \sum_{s'} n(s,a,s') (\bar r(s,a) + V(s'))^2` (PNLSVI Alg. 1 line 4).
feature_covariance, coverage_kappa
    :math:`\sum_{s,a} d_h(s,a) \phi\phi^\top` of an occupancy and its least eigenvalue
    (the uniform-coverage constant :math:`\kappa` of PNLSVI Assumption 3.3, linear case).

References
----------
Y. Jin, Z. Yang, Z. Wang, "Is Pessimism Provably Efficient for Offline RL?", ICML 2021,
Algorithm 2 (PEVI): ``Lambda_h = sum phi phi^T + lambda I``, ``w_h = Lambda_h^{-1} sum phi (r +
V_{h+1}(s'))``, ``Gamma_h = beta ||phi||_{Lambda_h^{-1}}`` [V3].
W. Xiong et al., "Nearly Minimax Optimal Offline RL with Linear Function Approximation",
ICLR 2023 (LinPEVI-ADV+: ``Sigma_h = sum phi phi^T / sigma_h^2 + lambda I``) [V3].
Q. Di, H. Zhao, J. He, Q. Gu, "Pessimistic Nonlinear Least-Squares Value Iteration for Offline
RL", ICLR 2024 (PNLSVI, Alg. 1 line 10: weights ``1 / sigma_h^2``) [V] (as in the project notes).

Examples
--------
>>> import numpy as np
>>> phi = np.eye(2).reshape(1, 2, 2)                # one-hot features, S = 1, A = 2
>>> est = ridge_from_counts(phi, np.array([[3, 1]]), np.array([[1.5, 1.0]]), lam=1.0)
>>> est.w.round(12).tolist()                       # Y / (n + lam)
[0.375, 0.5]
>>> elliptical_norms(phi, est.gram).round(4).tolist()   # 1 / sqrt(n + lam)
[[0.5, 0.7071]]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

from .._validation import as_float_array, check_positive_float, freeze
from .tabular import check_counts

__all__ = ["RidgeEstimate", "gram_matrix", "target_sums_from_counts", "ridge_from_counts",
           "elliptical_norms", "second_moment_sums_from_counts", "feature_covariance",
           "coverage_kappa"]


@dataclass(frozen=True)
class RidgeEstimate:
    """Output of :func:`ridge_from_counts`.

    Attributes
    ----------
    w : ndarray, shape (d,) or (H, d)
        The (weighted) ridge estimate :math:`\\Lambda^{-1} b`.
    gram : ndarray, shape (d, d) or (H, d, d)
        :math:`\\Lambda` (feed it to :func:`elliptical_norms`).
    normal_residual : float
        Certificate: :math:`\\max_h \\|\\Lambda_h w_h - b_h\\|_\\infty / \\max(1,
        \\|b_h\\|_\\infty)` (round-off level for a well-conditioned :math:`\\Lambda`).
    """

    w: np.ndarray
    gram: np.ndarray
    normal_residual: float


# ----------------------------------------------------------------------------------------------
# input handling
# ----------------------------------------------------------------------------------------------
def _check_phi(phi) -> np.ndarray:
    phi = as_float_array("phi", phi, ndim=(3, 4))
    if phi.shape[-1] == 0:
        raise ValueError(f"phi: feature dimension d must be >= 1, got shape {phi.shape}")
    if phi.shape[-2] == 0 or phi.shape[-3] == 0:
        raise ValueError(f"phi: needs at least one state and one action, got shape {phi.shape}")
    return phi


def _n_stages(phi: np.ndarray, tables: dict) -> int | None:
    """Common stage count of ``phi[.., S, A, d]`` and the per-cell tables (None: stationary)."""
    S, A = phi.shape[-3:-1]
    H = phi.shape[0] if phi.ndim == 4 else None
    for name, t in tables.items():
        if t is None:
            continue
        if t.ndim not in (2, 3) or t.shape[-2:] != (S, A):
            raise ValueError(f"{name}: expected shape (S, A) or (H, S, A) with (S, A) = "
                             f"{(S, A)} from phi, got {t.shape}")
        if t.ndim == 3:
            if H is not None and t.shape[0] != H:
                raise ValueError(f"{name}: has {t.shape[0]} stages, but another input has {H}")
            H = t.shape[0]
    if H == 0:
        raise ValueError("phi: needs at least one stage")
    return H


def _stage(x: np.ndarray, h: int, ndim_stationary: int) -> np.ndarray:
    return x if x.ndim == ndim_stationary else x[h]


def _check_sigma2(sigma2):
    if sigma2 is None:
        return None
    s2 = as_float_array("sigma2", sigma2, ndim=(2, 3))
    if np.any(s2 <= 0):
        raise ValueError(f"sigma2: variances must be > 0, min is {s2.min():.3g}")
    return s2


def _gram_stage(phi2: np.ndarray, weight: np.ndarray, lam: float) -> np.ndarray:
    """``lam I + sum_i weight_i x_i x_i^T`` for rows ``x_i`` of ``phi2[S*A, d]``."""
    G = (phi2 * weight[:, None]).T @ phi2
    G = 0.5 * (G + G.T)
    G[np.diag_indices_from(G)] += lam
    return G


def _factor(G: np.ndarray, name: str, where: str):
    """Cholesky factor of a symmetric ``G``; ``ValueError`` when not positive definite to
    working precision (relative eigenvalue floor ``d * eps``)."""
    d = G.shape[0]
    ev = np.linalg.eigvalsh(G)
    if not ev[0] > d * np.finfo(float).eps * max(abs(ev[-1]), np.finfo(float).tiny):
        raise ValueError(f"{name}: not positive definite to working precision{where} "
                         f"(eigenvalues in [{ev[0]:.3g}, {ev[-1]:.3g}]); with lam = 0 the "
                         f"visited features must span R^d, otherwise use lam > 0")
    return linalg.cho_factor(G, lower=True)


# ----------------------------------------------------------------------------------------------
# public functions
# ----------------------------------------------------------------------------------------------
def gram_matrix(phi, counts, *, lam: float = 1.0, sigma2=None) -> np.ndarray:
    r"""Gram matrix of the counted samples.

    .. math:: \Lambda = \lambda I + \sum_{s,a} n(s,a)\, \phi(s,a)\phi(s,a)^\top / \sigma^2(s,a).

    Parameters
    ----------
    phi : array_like, shape (S, A, d) or (H, S, A, d)
        Features.
    counts : array_like of int, shape (S, A) or (H, S, A)
        Samples per cell (per stage).
    lam : float, default 1
        Ridge parameter :math:`\lambda \ge 0` (PEVI: 1; LinPEVI-ADV+: ``1/H^2`` [V3]).
    sigma2 : array_like, shape (S, A) or (H, S, A), optional
        Per-cell variance weights :math:`\sigma^2 > 0`; default 1 (unweighted).

    Returns
    -------
    ndarray, shape (d, d), or (H, d, d) when any input has a stage axis
        Symmetric; positive definite when ``lam > 0``.

    Raises
    ------
    ValueError
        Bad shapes, non-finite entries, negative / non-integer counts, ``lam < 0`` or
        ``sigma2 <= 0`` (message starts with the argument's name).

    Notes
    -----
    Equal to the per-sample sum :math:`\lambda I + \sum_\tau \phi(z^\tau)\phi(z^\tau)^\top /
    \sigma^2(z^\tau)` since :math:`\phi` and :math:`\sigma` depend on the sample only through
    its cell.
    """
    phi = _check_phi(phi)
    counts = check_counts(counts)
    lam = check_positive_float("lam", lam, allow_zero=True)
    s2 = _check_sigma2(sigma2)
    H = _n_stages(phi, {"counts": counts, "sigma2": s2})
    d = phi.shape[-1]
    stages = [None] if H is None else range(H)
    out = []
    for h in stages:
        ph = _stage(phi, h, 3).reshape(-1, d)
        wt = _stage(counts, h, 2).reshape(-1).astype(np.float64)
        if s2 is not None:
            wt = wt / _stage(s2, h, 2).reshape(-1)
        out.append(_gram_stage(ph, wt, lam))
    G = out[0] if H is None else np.stack(out)
    freeze(G)
    return G


def _next_counts_and_values(next_counts, V_next):
    """Validated ``(next_counts, V_next, H or None)``: counts ``(S, A, S)`` / ``(H, S, A, S)``,
    values ``(S,)`` / ``(H, S)`` with matching S and H."""
    nxt = check_counts(next_counts, name="next_counts")
    if nxt.ndim not in (3, 4) or nxt.shape[-1] != nxt.shape[-3]:
        raise ValueError(f"next_counts: expected shape (S, A, S) or (H, S, A, S), got "
                         f"{nxt.shape}")
    S = nxt.shape[-1]
    V = as_float_array("V_next", V_next, ndim=(1, 2))
    if V.shape[-1] != S:
        raise ValueError(f"V_next: last axis must have S = {S} entries, got shape {V.shape}")
    H = nxt.shape[0] if nxt.ndim == 4 else None
    if V.ndim == 2:
        if H is not None and V.shape[0] != H:
            raise ValueError(f"V_next: has {V.shape[0]} stages, next_counts has {H}")
        H = V.shape[0]
    return nxt, V, H


def target_sums_from_counts(next_counts, V_next, reward_sums=None) -> np.ndarray:
    r"""Per-cell sums of the regression target :math:`y = r + V(s')` from counts.

    .. math:: Y(s, a) = \Sigma_r(s, a) + \sum_{s'} n(s, a, s')\, V(s').

    Parameters
    ----------
    next_counts : array_like of int, shape (S, A, S) or (H, S, A, S)
        :math:`n(s, a, s')` (per stage).
    V_next : array_like, shape (S,) or (H, S)
        The value the target reads at the next state; for a per-stage regression at stage
        ``h`` pass :math:`V_{h+1}` as ``V_next[h]``.  Pass ``V**2`` (and no rewards) for the
        second-moment regression of a variance estimate.
    reward_sums : array_like, shape (S, A) or (H, S, A), optional
        :math:`\Sigma_r(s, a)`; default 0 (target ``V(s')`` only).

    Returns
    -------
    ndarray, shape (S, A), or (H, S, A) when any input has a stage axis

    Raises
    ------
    ValueError
        Bad shapes, non-finite entries, negative / non-integer counts.
    """
    nxt, V, H = _next_counts_and_values(next_counts, V_next)
    S = nxt.shape[-1]
    if H is None:
        Y = nxt.astype(np.float64) @ V
    else:
        nh = np.broadcast_to(nxt, (H,) + nxt.shape[-3:]).astype(np.float64)
        Vh = np.broadcast_to(V, (H, S))
        Y = np.einsum("hsat,ht->hsa", nh, Vh)
    if reward_sums is not None:
        r = as_float_array("reward_sums", reward_sums, ndim=(2, 3))
        if r.shape[-2:] != Y.shape[-2:] or (r.ndim == 3 and Y.ndim == 3
                                            and r.shape[0] != Y.shape[0]):
            raise ValueError(f"reward_sums: expected shape {Y.shape[-2:]} or {Y.shape}, got "
                             f"{r.shape}")
        Y = Y + r
    return Y


def ridge_from_counts(phi, counts, target_sums, *, lam: float = 1.0,
                      sigma2=None) -> RidgeEstimate:
    r"""(Variance-weighted) ridge regression from per-cell counts and target sums.

    .. math:: \hat w = \Lambda^{-1} \sum_{s,a} \phi(s,a)\, Y(s,a) / \sigma^2(s,a), \qquad
              \Lambda = \lambda I + \sum_{s,a} n(s,a)\, \phi\phi^\top / \sigma^2(s,a),

    the minimizer of :math:`\sum_\tau (\phi(z^\tau)^\top w - y^\tau)^2 / \sigma^2(z^\tau) +
    \lambda \|w\|^2` over the samples the counts summarize.

    Parameters
    ----------
    phi : array_like, shape (S, A, d) or (H, S, A, d)
    counts : array_like of int, shape (S, A) or (H, S, A)
    target_sums : array_like, shape (S, A) or (H, S, A)
        :math:`Y(s, a)`, the sum of the targets of the samples in the cell (see
        :func:`target_sums_from_counts`); must be 0 where ``counts`` is 0.
    lam : float, default 1
        :math:`\lambda \ge 0`; ``lam = 0`` needs visited features spanning :math:`\mathbb R^d`.
    sigma2 : array_like, shape (S, A) or (H, S, A), optional
        Variance weights (default 1).

    Returns
    -------
    RidgeEstimate
        ``w`` (``[d]`` or ``[H, d]``), ``gram`` and the normal-equation residual.

    Raises
    ------
    ValueError
        Bad shapes / entries, a nonzero target sum in an unvisited cell, or a Gram matrix
        that is not positive definite to working precision (``gram``).

    References
    ----------
    Jin, Yang, Wang (2021), Alg. 2 lines 4-5 (PEVI, ``sigma2 = 1``); Xiong et al. (2023) /
    Di et al. (2024) Alg. 1 line 10 (weights ``1 / sigma^2``) [V3].
    """
    phi = _check_phi(phi)
    counts = check_counts(counts)
    lam = check_positive_float("lam", lam, allow_zero=True)
    Y = as_float_array("target_sums", target_sums, ndim=(2, 3))
    s2 = _check_sigma2(sigma2)
    H = _n_stages(phi, {"counts": counts, "target_sums": Y, "sigma2": s2})
    Yb, empty = np.broadcast_arrays(Y, counts == 0)
    if np.any(Yb[empty] != 0):
        raise ValueError("target_sums: must be 0 in cells with counts 0 (no samples)")
    d = phi.shape[-1]
    stages = [None] if H is None else range(H)
    ws, Gs, res = [], [], 0.0
    for h in stages:
        ph = _stage(phi, h, 3).reshape(-1, d)
        wt = _stage(counts, h, 2).reshape(-1).astype(np.float64)
        y = _stage(Y, h, 2).reshape(-1)
        if s2 is not None:
            inv_s2 = 1.0 / _stage(s2, h, 2).reshape(-1)
            wt = wt * inv_s2
            y = y * inv_s2
        G = _gram_stage(ph, wt, lam)
        b = ph.T @ y
        w = linalg.cho_solve(_factor(G, "gram", "" if h is None else f" at stage {h}"), b)
        res = max(res, float(np.max(np.abs(G @ w - b)) / max(1.0, float(np.max(np.abs(b))))))
        ws.append(w)
        Gs.append(G)
    w = ws[0] if H is None else np.stack(ws)
    G = Gs[0] if H is None else np.stack(Gs)
    freeze(w, G)
    return RidgeEstimate(w, G, res)


def elliptical_norms(phi, gram) -> np.ndarray:
    r"""Elliptical norms of every cell.

    .. math:: \|\phi(s,a)\|_{\Lambda^{-1}} = \sqrt{\phi(s,a)^\top \Lambda^{-1} \phi(s,a)}.

    Computed as :math:`\|L^{-1} \phi\|_2` with the Cholesky factor :math:`\Lambda = L L^\top`
    (one triangular solve for all cells; the result is a norm, hence >= 0 exactly).

    Parameters
    ----------
    phi : array_like, shape (S, A, d) or (H, S, A, d)
    gram : array_like, shape (d, d) or (H, d, d)
        Symmetric positive definite :math:`\Lambda` (e.g. :func:`gram_matrix`).

    Returns
    -------
    ndarray, shape (S, A), or (H, S, A) when either input has a stage axis

    Raises
    ------
    ValueError
        Bad shapes, non-finite entries, a non-symmetric or non-positive-definite ``gram``.

    Notes
    -----
    If :math:`\Lambda \succeq \lambda I` then :math:`\|\phi\|_{\Lambda^{-1}} \le
    \|\phi\|_2 / \sqrt\lambda`; adding data (a larger :math:`\Lambda`) never increases a norm.
    One-hot features with :math:`\Lambda = \mathrm{diag}(n / v + \lambda)` give
    :math:`\sqrt{v / (n + \lambda v)}` (``pnlsvi_hetpevi_stepmix_v2.md`` 1.6).
    """
    phi = _check_phi(phi)
    d = phi.shape[-1]
    G = as_float_array("gram", gram, ndim=(2, 3))
    if G.shape[-2:] != (d, d):
        raise ValueError(f"gram: expected shape (d, d) or (H, d, d) with d = {d}, got {G.shape}")
    if np.max(np.abs(G - np.swapaxes(G, -1, -2))) > 1e-12 * np.max(np.abs(G)):
        raise ValueError("gram: must be symmetric")
    H = phi.shape[0] if phi.ndim == 4 else None
    if G.ndim == 3:
        if H is not None and G.shape[0] != H:
            raise ValueError(f"gram: has {G.shape[0]} stages, phi has {H}")
        H = G.shape[0]
    S, A = phi.shape[-3:-1]
    stages = [None] if H is None else range(H)
    out = []
    for h in stages:
        c, lower = _factor(_stage(G, h, 2), "gram", "" if h is None else f" at stage {h}")
        # the factor's lower triangle is L (cho_factor leaves junk above the diagonal); numpy's
        # solve avoids scipy's per-call overhead, which dominates at the small d used here
        Z = np.linalg.solve(np.tril(c) if lower else np.triu(c).T,
                            _stage(phi, h, 3).reshape(-1, d).T)
        out.append(np.sqrt(np.einsum("ij,ij->j", Z, Z)).reshape(S, A))
    return out[0] if H is None else np.stack(out)


def second_moment_sums_from_counts(next_counts, V_next, reward_means=None) -> np.ndarray:
    r"""Per-cell sums of the squared target :math:`(r + V(s'))^2` from counts.

    .. math:: Y_2(s, a) = \sum_{s'} n(s, a, s')\, (\bar r(s, a) + V(s'))^2 .

    This is the regression target of PNLSVI's second-moment fit (Di et al. 2024, Alg. 1
    line 4: the reward **inside** the square [V]).

    Parameters
    ----------
    next_counts : array_like of int, shape (S, A, S) or (H, S, A, S)
    V_next : array_like, shape (S,) or (H, S)
    reward_means : array_like, shape (S, A) or (H, S, A), optional
        The per-cell reward :math:`\bar r(s, a)` (e.g. ``reward_sums / counts``); default 0,
        which gives Xiong et al.'s target :math:`V(s')^2` (no reward, [V3]).

    Returns
    -------
    ndarray, shape (S, A), or (H, S, A) when any input has a stage axis

    Notes
    -----
    Exact (equal to the per-sample sum) when the reward of a cell is deterministic, as in a
    linear MDP with known reward :math:`r_h = \langle\phi, \theta_h\rangle` (rlth draws
    such data with ``reward="mean"``).  With random rewards the per-sample sum needs the joint
    counts of (r, s'), which the sufficient statistics do not keep; this function then
    replaces each reward by its cell mean [D] (a named approximation: it drops the reward's
    within-cell variance and its covariance with ``V(s')``).

    Raises
    ------
    ValueError
        Bad shapes or entries (message names the argument).
    """
    nxt, V, H = _next_counts_and_values(next_counts, V_next)
    S, A = nxt.shape[-3], nxt.shape[-2]
    if reward_means is None:
        r = np.zeros((S, A))
    else:
        r = as_float_array("reward_means", reward_means, ndim=(2, 3))
        if r.shape[-2:] != (S, A):
            raise ValueError(f"reward_means: expected shape {(S, A)} or (H, S, A), got {r.shape}")
        if r.ndim == 3:
            if H is not None and r.shape[0] != H:
                raise ValueError(f"reward_means: has {r.shape[0]} stages, another input has {H}")
            H = r.shape[0]
    if H is None:
        y = r[:, :, None] + V[None, None, :]
        return np.einsum("sat,sat->sa", nxt.astype(np.float64), y * y)
    nh = np.broadcast_to(nxt, (H, S, A, S)).astype(np.float64)
    Vh = np.broadcast_to(V, (H, S))
    rh = np.broadcast_to(r, (H, S, A))
    y = rh[..., None] + Vh[:, None, None, :]
    return np.einsum("hsat,hsat->hsa", nh, y * y)


def feature_covariance(phi, occupancy) -> np.ndarray:
    r"""Feature second-moment matrix of an occupancy measure.

    .. math:: \Sigma_h = \mathbb E_{(s,a) \sim d_h}[\phi(s,a)\phi(s,a)^\top]
              = \sum_{s,a} d_h(s,a)\, \phi(s,a)\phi(s,a)^\top .

    Parameters
    ----------
    phi : array_like, shape (S, A, d) or (H, S, A, d)
    occupancy : array_like, shape (S, A) or (H, S, A)
        Non-negative weights (e.g. :func:`rlth.solvers.occupancy.occupancy` of the behaviour
        policy).

    Returns
    -------
    ndarray, shape (d, d) or (H, d, d)

    Raises
    ------
    ValueError
        Bad shapes, non-finite or negative weights.
    """
    phi = _check_phi(phi)
    occ = as_float_array("occupancy", occupancy, ndim=(2, 3))
    if np.any(occ < 0):
        raise ValueError(f"occupancy: weights must be >= 0, min is {occ.min():.3g}")
    H = _n_stages(phi, {"occupancy": occ})
    d = phi.shape[-1]
    stages = [None] if H is None else range(H)
    out = [_gram_stage(_stage(phi, h, 3).reshape(-1, d), _stage(occ, h, 2).reshape(-1), 0.0)
           for h in stages]
    return out[0] if H is None else np.stack(out)


def coverage_kappa(phi, occupancy) -> float:
    r"""Uniform-coverage constant of the linear class: :math:`\kappa = \min_h
    \lambda_{\min}(\mathbb E_{d_h}[\phi\phi^\top])`.

    Di et al. (2024), Assumption 3.3 (ICLR 3.5) and the sentence after Remark 3.4: for the
    linear class uniform coverage is implied by :math:`\lambda_{\min}(\mathbb
    E_{\mu,h}[\phi\phi^\top]) = \kappa > 0` [V].

    Parameters
    ----------
    phi : array_like, shape (S, A, d) or (H, S, A, d)
    occupancy : array_like, shape (S, A) or (H, S, A)

    Returns
    -------
    float
        ``>= 0``; 0 when some stage's data do not span :math:`\mathbb R^d`.
    """
    C = feature_covariance(phi, occupancy)
    C = C[None] if C.ndim == 2 else C
    return float(max(0.0, min(np.linalg.eigvalsh(c)[0] for c in C)))
