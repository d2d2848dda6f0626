r"""Linear dueling bandits (:class:`~rlth.models.bandits.LinearDuelingBandit`) for VPO.

:func:`linear_dueling_bandit`
    The random instance of ``vpo_glow_v2.md`` II.5 [R]: features on the unit sphere,
    :math:`\|\theta^*\| = B`, :math:`\pi_{\mathrm{ref}} = \mathrm{softmax}(\sigma z)` with
    :math:`z \sim N(0, I)` per context (:math:`\sigma` sets how well the reference covers
    :math:`\pi^*`), uniform contexts.
:func:`tabular_dueling_bandit`
    One-hot features :math:`\phi(x, y) = e_{(x, y)}` (:math:`d = XY`), so
    :math:`\theta = r` is a free reward table.
:func:`tilted_behavior`
    Behaviour laws :math:`\pi_b \propto \pi_{\mathrm{ref}} e^{-\lambda r^*}`: ``lam > 0``
    moves the offline data away from :math:`\pi^*` (coverage of :math:`\pi^*` shrinks).

Every random generator takes a keyword ``rng``.
"""
from __future__ import annotations

import numpy as np

from .._rng import as_generator
from .._validation import (as_float_array, check_instance, check_positive_float,
                           check_positive_int, check_real)
from ..models.bandits import LinearDuelingBandit

__all__ = ["linear_dueling_bandit", "tabular_dueling_bandit", "tilted_behavior"]


def _softmax_rows(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def linear_dueling_bandit(n_contexts: int = 1, n_responses: int = 20, dim: int = 4, *,
                          norm: float = 2.0, beta: float = 0.5, ref_scale: float = 1.5,
                          rng=None) -> LinearDuelingBandit:
    r"""Random linear dueling bandit (``vpo_glow_v2.md`` II.5 [R]).

    Parameters
    ----------
    n_contexts, n_responses, dim : int
        :math:`X`, :math:`Y \ge 2`, :math:`d`.
    norm : float
        :math:`B = \|\theta^*\|_2 > 0` (larger :math:`B` saturates the BT curvature,
        :math:`\kappa \approx e^{O(B)}`).
    beta : float
        KL strength.
    ref_scale : float
        :math:`\sigma \ge 0` of the reference logits (0: uniform reference).
    rng : Generator, int or SeedSequence
        Draws, in order: features (X, Y, d) standard normal then normalized, the direction of
        :math:`\theta^*`, the reference logits (X, Y).
    """
    X = check_positive_int("n_contexts", n_contexts)
    Y = check_positive_int("n_responses", n_responses)
    d = check_positive_int("dim", dim)
    if Y < 2:
        raise ValueError(f"n_responses: must be >= 2, got {Y}")
    B = check_positive_float("norm", norm)
    sigma = check_positive_float("ref_scale", ref_scale, allow_zero=True)
    rng = as_generator(rng)
    phi = rng.standard_normal((X, Y, d))
    phi /= np.linalg.norm(phi, axis=2, keepdims=True)
    u = rng.standard_normal(d)
    theta = B * u / np.linalg.norm(u)
    ref = _softmax_rows(sigma * rng.standard_normal((X, Y)))
    return LinearDuelingBandit(np.full(X, 1.0 / X), phi, theta, ref, beta)


def tabular_dueling_bandit(rewards, pi_ref=None, *, beta: float = 1.0,
                           context_probs=None) -> LinearDuelingBandit:
    r"""Dueling bandit with one-hot features :math:`\phi(x, y) = e_{xY + y}` and
    :math:`\theta^* = \mathrm{vec}(r^*)`.

    Parameters
    ----------
    rewards : array_like, shape (X, Y) or (Y,)
    pi_ref : array_like, shape like ``rewards``, optional
        Uniform by default.
    beta : float
    context_probs : array_like, shape (X,), optional
        Uniform by default.
    """
    r = as_float_array("rewards", rewards, ndim=(1, 2))
    if r.ndim == 1:
        r = r[None, :]
    X, Y = r.shape
    if X == 0 or Y == 0:
        raise ValueError(f"rewards: needs at least one context and one response, got shape "
                         f"{r.shape}")
    ref = np.full((X, Y), 1.0 / Y) if pi_ref is None else as_float_array("pi_ref", pi_ref)
    ref = ref.reshape(X, Y) if ref.size == X * Y else ref
    rho = np.full(X, 1.0 / X) if context_probs is None else context_probs
    phi = np.eye(X * Y).reshape(X, Y, X * Y)
    return LinearDuelingBandit(rho, phi, r.ravel(), ref, beta)


def tilted_behavior(model: LinearDuelingBandit, lam: float) -> np.ndarray:
    r"""Behaviour law :math:`\pi_b(y|x) \propto \pi_{\mathrm{ref}}(y|x)\, e^{-\lambda
    r^*(x, y)}`, shape (X, Y).

    ``lam = 0`` is :math:`\pi_{\mathrm{ref}}`; ``lam > 0`` puts the data on low-reward
    responses (poor coverage of :math:`\pi^*`), ``lam < 0`` on high-reward ones.
    """
    model = check_instance("model", model, LinearDuelingBandit)
    lam = check_real("lam", lam)
    return _softmax_rows(np.log(model.pi_ref) - lam * model.rewards)
