r"""Preference games: the KL-regularized two-player game of Nash learning from human feedback.

A *preference model* gives, for each context :math:`x` (prompt) and pair of responses
:math:`y, y'`, the probability :math:`\mathcal P(y \succ y' \mid x)` that :math:`y` is preferred.
It is stored as ``pref[x, y, y']`` with

.. math:: \mathcal P(y \succ y' \mid x) + \mathcal P(y' \succ y \mid x) = 1,

so every diagonal entry is 1/2 and ``A = pref - 1/2`` is skew-symmetric.  No transitivity (no
Bradley-Terry form) is assumed.  For policies :math:`\pi, \pi'` (``[X, Y]`` arrays)

.. math::

    \mathcal P(\pi \succ \pi') = \mathbb E_{x\sim\rho}\, \pi(\cdot|x)^\top P_x \pi'(\cdot|x),
    \qquad
    \mathcal P_\tau(\pi \succ \pi') = \mathcal P(\pi \succ \pi') - \tau\,\mathrm{KL}_\rho(\pi,\mu)
                                     + \tau\,\mathrm{KL}_\rho(\pi',\mu),

the second being the regularized game of Munos et al. (2023, eq. 2), where
:math:`\mathrm{KL}_\rho(\pi,\mu) = \mathbb E_{x\sim\rho}
\mathrm{KL}(\pi(\cdot|x)\,\|\,\mu(\cdot|x))`.
Both games are symmetric and constant-sum with value 1/2; the regularized one has a unique Nash
equilibrium :math:`\pi^*_\tau` for :math:`\tau > 0` (Prop. 1 of the paper).

Reference policies with zeros are allowed: policies are then restricted to the support of
``mu[x]`` (a policy with mass off the support has infinite KL and is rejected where a KL is
needed), with the convention :math:`0 \log 0 = 0`.

References
----------
R. Munos, M. Valko, D. Calandriello, et al., "Nash Learning from Human Feedback", ICML 2024,
arXiv:2312.00886, eq. (2) (regularized game), Prop. 1 (section numbers not re-checked).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import (as_float_array, check_distribution, check_in_range,
                           check_positive_float)

__all__ = ["PreferenceGame", "kl_divergence"]

PREF_TOL = 1e-10
"""Tolerance of the antisymmetry check ``pref + pref^T == 1``."""


def kl_divergence(p, q, axis: int = -1) -> np.ndarray:
    r"""Kullback-Leibler divergence :math:`\sum_y p(y) \log(p(y)/q(y))` along ``axis``.

    Uses :math:`0 \log(0/q) = 0`; returns ``inf`` where ``p > 0 = q``.  No validation (private
    helpers and validated callers only); inputs are probability vectors.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    pos = p > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pos, p * (np.log(np.where(pos, p, 1.0)) - np.log(q)), 0.0)
    return terms.sum(axis=axis)


@dataclass(frozen=True, eq=False, init=False)
class PreferenceGame:
    r"""A (contextual) preference model with a reference policy.

    Parameters
    ----------
    pref : array_like, shape (X, Y, Y) or (Y, Y)
        ``pref[x, y, y'] = P(y > y' | x)`` in [0, 1] with ``pref + pref.swapaxes(-1, -2) == 1``
        (tolerance ``1e-10``; the stored array is exactly antisymmetrized).  2-D means one context.
    mu : array_like, shape (X, Y) or (Y,)
        Reference policy (the SFT policy of the paper), a distribution per context.  Zeros are
        allowed; policies are then restricted to its support.
    context_probs : array_like, shape (X,), optional
        Context distribution :math:`\rho` (uniform when omitted).

    Attributes
    ----------
    pref : ndarray, shape (X, Y, Y)
    mu : ndarray, shape (X, Y)
    context_probs : ndarray, shape (X,)
    support : ndarray of bool, shape (X, Y)
        ``mu > 0``.

    Examples
    --------
    >>> rps = PreferenceGame([[0.5, 0, 1], [1, 0.5, 0], [0, 1, 0.5]], [1/3, 1/3, 1/3])
    >>> rps.n_contexts, rps.n_actions
    (1, 3)
    >>> float(rps.win_rate([[1, 0, 0]], [[0, 1, 0]]))
    0.0
    """

    pref: np.ndarray
    mu: np.ndarray
    context_probs: np.ndarray
    support: np.ndarray

    def __init__(self, pref, mu, context_probs=None):
        pref = as_float_array("pref", pref, ndim=(2, 3))
        if pref.ndim == 2:
            pref = pref[None]
        X, Y, Y2 = pref.shape
        if Y != Y2 or Y == 0 or X == 0:
            raise ValueError(f"pref: expected shape (X, Y, Y) with X, Y >= 1, got {pref.shape}")
        check_in_range("pref", pref, 0.0, 1.0)
        asym = np.abs(pref + pref.swapaxes(-1, -2) - 1.0)
        if asym.max() > PREF_TOL:
            idx = np.unravel_index(np.argmax(asym), asym.shape)
            raise ValueError(f"pref: must satisfy pref[x, y, y'] + pref[x, y', y] == 1 "
                             f"(tol {PREF_TOL:g}); entry {idx} gives "
                             f"{pref[idx] + pref[idx[0], idx[2], idx[1]]!r}")
        # exact antisymmetry, so pi^T pref pi == 1/2 up to rounding for every pi
        pref = np.ascontiguousarray(0.5 + 0.5 * (pref - pref.swapaxes(-1, -2)))
        mu = as_float_array("mu", mu, ndim=(1, 2))
        if mu.ndim == 1:
            mu = mu[None]
        if mu.shape != (X, Y):
            raise ValueError(f"mu: expected shape {(X, Y)} (or {(Y,)} for one context), "
                             f"got {mu.shape}")
        check_distribution("mu", mu)
        mu = np.ascontiguousarray(mu / mu.sum(axis=1, keepdims=True))
        if context_probs is None:
            rho = np.full(X, 1.0 / X)
        else:
            rho = as_float_array("context_probs", context_probs, shape=(X,))
            check_distribution("context_probs", rho)
            rho = rho / rho.sum()
        support = mu > 0
        for a in (pref, mu, rho, support):
            a.setflags(write=False)
        object.__setattr__(self, "pref", pref)
        object.__setattr__(self, "mu", mu)
        object.__setattr__(self, "context_probs", rho)
        object.__setattr__(self, "support", support)

    # ------------------------------------------------------------------ shapes
    @property
    def n_contexts(self) -> int:
        return self.pref.shape[0]

    @property
    def n_actions(self) -> int:
        return self.pref.shape[1]

    def __repr__(self) -> str:
        return (f"PreferenceGame(n_contexts={self.n_contexts}, n_actions={self.n_actions}, "
                f"full_support={bool(self.support.all())})")

    @property
    def log_reference(self) -> np.ndarray:
        r""":math:`\log\mu`, shape ``(X, Y)``, with ``-inf`` off the support (a new array)."""
        with np.errstate(divide="ignore"):
            return np.ascontiguousarray(np.where(self.support, np.log(self.mu), -np.inf))

    # ---------------------------------------------------------------- policies
    def check_policy(self, pi, name: str = "pi", on_support: bool = False) -> np.ndarray:
        """Validate a policy ``pi[X, Y]`` (or ``[Y]`` for one context); return it as ``[X, Y]``.

        ``on_support=True`` also requires ``pi[x, y] == 0`` wherever ``mu[x, y] == 0``.
        """
        pi = as_float_array(name, pi, ndim=(1, 2))
        if pi.ndim == 1:
            pi = pi[None]
        if pi.shape != self.mu.shape:
            raise ValueError(f"{name}: expected shape {self.mu.shape}, got {pi.shape}")
        check_distribution(name, pi)
        if on_support and np.any(pi[~self.support] > 0):
            raise ValueError(f"{name}: puts mass outside the support of mu "
                             "(infinite KL to the reference)")
        return pi

    def preference_against(self, pi) -> np.ndarray:
        r"""``g[x, y] = P(y > pi | x) = (P_x pi_x)(y)``, shape ``(X, Y)``."""
        pi = self.check_policy(pi)
        return np.einsum("xab,xb->xa", self.pref, pi)

    def win_rate(self, pi, pi_prime) -> float:
        r""":math:`\mathcal P(\pi \succ \pi') = \mathbb E_\rho\, \pi_x^\top P_x \pi'_x`."""
        pi = self.check_policy(pi, "pi")
        pi_prime = self.check_policy(pi_prime, "pi_prime")
        return float(self.context_probs @ np.einsum("xa,xab,xb->x", pi, self.pref, pi_prime))

    def kl_to_reference(self, pi) -> float:
        r""":math:`\mathrm{KL}_\rho(\pi, \mu)` (``inf`` if ``pi`` leaves the support of ``mu``)."""
        pi = self.check_policy(pi)
        return float(self.context_probs @ kl_divergence(pi, self.mu))

    def regularized_win_rate(self, pi, pi_prime, tau: float) -> float:
        r""":math:`\mathcal P_\tau(\pi\succ\pi') = \mathcal P(\pi\succ\pi') - \tau \mathrm{KL}_\rho
        (\pi,\mu) + \tau\mathrm{KL}_\rho(\pi',\mu)` (Munos et al. 2023, eq. 2)."""
        tau = check_positive_float("tau", tau, allow_zero=True)
        return (self.win_rate(pi, pi_prime) - tau * self.kl_to_reference(pi)
                + tau * self.kl_to_reference(pi_prime))

    def with_reference(self, mu) -> "PreferenceGame":
        """The same preference model with another reference policy."""
        return PreferenceGame(self.pref, mu, self.context_probs)
