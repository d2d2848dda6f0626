r"""Nash-MD: mirror descent against a geometric mixture (Munos et al. 2023, tabular algorithm).

For a preference game (:class:`~rlth.models.preference.PreferenceGame`, ``pref[x, y, y']``,
reference ``mu[x, y]``) and :math:`\tau > 0`, Nash-MD iterates, for every context :math:`x`,

.. math::

    \log\pi^\mu_t &= (1 - \eta_t\tau)\log\pi_t + \eta_t\tau\log\mu - \log Z_t
        \qquad\text{(geometric mixture, eq. 3)}\\
    \log\pi_{t+1} &= \log\pi^\mu_t + \eta_t\,\mathcal P(\cdot \succ \pi^\mu_t) - \log Z'_t
        \qquad\text{(eqs. 4-5: } \arg\max_\pi \eta_t\mathcal P(\pi\succ\pi^\mu_t)
        - \mathrm{KL}(\pi, \pi^\mu_t)\text{)}

with :math:`\mathcal P(y \succ \pi^\mu_t) = (P_x\pi^\mu_t)(y)` ("exact" feedback) or its
unbiased estimate :math:`\frac1m\sum_{j} \mathcal P(y\succ y'_j)`, :math:`y'_j\sim\pi^\mu_t`
i.i.d. ("sampled" feedback, ``m = n_samples``; not covered by the theorem).  Contexts are
independent and all are updated at every step (the contextual version uses
:math:`\mathrm{KL}_\rho`).

Parameters and their sources
----------------------------
- :math:`\eta_t = 2/(\tau(t+2))` [V] (Theorem 1's schedule; :math:`\eta_0\tau = 1`, so
  :math:`\pi^\mu_0 = \mu` and :math:`\pi_1` does not depend on :math:`\pi_0` [D]).  Any
  constant or user schedule with :math:`0 < \eta_t\tau \le 1` is accepted (the mixture weight
  must be a weight).
- Mixture weight equal to the step times tau, :math:`\eta_t\tau` [V] (pitfall: an arithmetic
  mixture, or a weight other than :math:`\eta_t\tau`, is a different algorithm).
- TRL mapping (``NashMDTrainer`` / ``NashMDConfig``): TRL ``beta`` ~ :math:`\tau`; TRL
  ``mixture_coef`` (default 0.5) is the weight of the *reference* logits in
  ``log_softmax(mixture_coef * ref_logits + (1 - mixture_coef) * logits)`` [C: TRL's
  ``GeometricMixtureWrapper``], i.e. the deep variant's :math:`\beta` of App. F, which plays the
  role of :math:`\eta_t\tau` here (TRL mixes per token, not per sequence); TRL's learning rate
  ~ :math:`\eta` only loosely (policy-gradient steps on parameters).

Guarantee
---------
Munos et al. (2023), Theorem 1 [V]: with exact feedback, for every t,
:math:`\mathrm{KL}(\pi^*_\tau,\pi_{t+1}) \le (1-\eta_t\tau)\mathrm{KL}(\pi^*_\tau,\pi_t) +
2\eta_t^2`, hence with :math:`\eta_t = 2/(\tau(t+2))`:
:math:`\mathrm{KL}(\pi^*_\tau, \pi_T) \le 8/(\tau^2(T+1))` (last iterate; contextual version
with :math:`\mathrm{KL}_\rho`).  See :mod:`rlth.theory.nash_md`.

References
----------
R. Munos, M. Valko, D. Calandriello, M. G. Azar, M. Rowland, Z. D. Guo, Y. Tang, M. Geist,
T. Mesnard, C. Fiegel, A. Michi, M. Selvi, S. Girgin, N. Momchev, O. Bachem, D. J. Mankowitz,
D. Precup, B. Piot, "Nash Learning from Human Feedback", ICML 2024, arXiv:2312.00886,
the tabular Nash-MD algorithm, eqs. (3)-(5), Theorem 1, App. F (deep variants).
TRL ``trl.models.modeling_base.GeometricMixtureWrapper`` (the per-token logit mixture).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from numba import njit

from ..._kernels.sampling import inverse_cdf_draw
from ..._kernels.softmax import masked_log_softmax_inplace, masked_softmax
from ..._rng import as_generator
from ..._validation import (as_float_array, check_array_bytes, check_distribution,
                           check_instance, check_nonnegative_int, check_positive_float,
                           check_positive_int, check_real, check_in_range)
from ...models.preference import PreferenceGame

__all__ = ["PreferenceDynamicsResult", "nash_md", "nash_md_step", "geometric_mixture",
           "theorem_step_sizes", "step_sizes"]

_FEEDBACK = ("exact", "sampled")

# kernel modes (shared with rlth.algorithms.preference.dynamics)
MODE_NASH_MD = 0   # centre: geometric mixture; opponent: the mixture
MODE_OMD = 1       # centre: geometric mixture; opponent: pi_t (OMD / INPO / MTPO)
MODE_MMD = 2       # (l + eta tau log mu + eta g(pi_t)) / (1 + eta tau)
MODE_EG = 3        # extragradient: OMD half step, then OMD step from pi_t against pi_half
MODE_SBR = 4       # soft best response: l = log mu + g(pi_t) / tau


@dataclass(frozen=True)
class PreferenceDynamicsResult:
    """Iterates of a preference-game dynamics at the requested checkpoints.

    Returned by :func:`nash_md` and by every dynamics of :mod:`rlth.algorithms.preference.dynamics`
    (OMD, MMD, extragradient, MWU self-play, soft best-response iteration, fictitious play).

    Attributes
    ----------
    checkpoints : ndarray of int64, shape (K,)
        Iteration counts ``T`` at which the iterate was recorded (``0`` is the initial policy).
    log_iterates : ndarray, shape (K, X, Y)
        :math:`\\log\\pi_T` (``-inf`` off the support of ``mu``).
    eta : ndarray, shape (n_iter,)
        Step sizes used.
    tau : float
    feedback : str
    n_samples : int
    method : str
    log_averages : ndarray, shape (K, X, Y) or None
        Log of the average iterate :math:`\\frac1T\\sum_{t<T}\\pi_t` (baselines that track it).
    """

    checkpoints: np.ndarray
    log_iterates: np.ndarray
    eta: np.ndarray
    tau: float
    feedback: str = "exact"
    n_samples: int = 1
    method: str = "nash_md"
    log_averages: np.ndarray | None = None

    @property
    def iterates(self) -> np.ndarray:
        """:math:`\\pi_T` at each checkpoint, shape ``(K, X, Y)``."""
        return np.exp(self.log_iterates)

    @property
    def averages(self) -> np.ndarray | None:
        return None if self.log_averages is None else np.exp(self.log_averages)

    @property
    def pi(self) -> np.ndarray:
        """The iterate at the last checkpoint, shape ``(X, Y)``."""
        return np.exp(self.log_iterates[-1])

    def kl_from(self, game: PreferenceGame, pi_star, average: bool = False) -> np.ndarray:
        r""":math:`\mathrm{KL}_\rho(\pi^*, \pi_T)` at every checkpoint, shape ``(K,)``.

        Computed from the stored logits (accurate down to about 1e-16).
        """
        pi_star = game.check_policy(pi_star, "pi_star")
        logs = self.log_averages if average else self.log_iterates
        if logs is None:
            raise ValueError("average: this run did not track the average iterate")
        pos = pi_star > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            lp = np.where(pos, np.log(np.where(pos, pi_star, 1.0)), 0.0)
            terms = np.where(pos[None], pi_star[None] * (lp[None] - logs), 0.0)
        return terms.sum(axis=2) @ game.context_probs


# ---------------------------------------------------------------------------- schedules

def theorem_step_sizes(tau: float, n_iter: int, offset: int = 0) -> np.ndarray:
    r""":math:`\eta_t = 2/(\tau(t + 2 + t_0))`, for ``t`` from 0 to ``n_iter - 1`` (Theorem 1 [V] for
    :math:`t_0 = 0`; an offset :math:`t_0 > 0` is *not* covered by the theorem)."""
    tau = check_positive_float("tau", tau)
    n = check_nonnegative_int("n_iter", n_iter)
    offset = check_nonnegative_int("offset", offset)
    check_array_bytes("n_iter", (n,), what="the step-size schedule")
    return 2.0 / (tau * (np.arange(n, dtype=np.float64) + 2.0 + offset))


def _is_scalar(x) -> bool:
    try:
        return np.ndim(x) == 0
    except ValueError:   # a ragged nested list: as_float_array names the argument
        return False


def step_sizes(eta, tau: float, n_iter: int, *, max_weight: float | None = 1.0) -> np.ndarray:
    r"""Normalize a step-size specification to an array ``eta[n_iter]``.

    Parameters
    ----------
    eta : None, float, callable or array_like
        ``None``: Theorem 1's :math:`2/(\tau(t+2))`; a float: constant; a callable ``t ->
        eta_t``; an array of at least ``n_iter`` entries.
    tau : float
    n_iter : int
    max_weight : float or None
        If given, require :math:`\eta_t\tau \le` ``max_weight`` (the geometric-mixture weight).
    """
    n = check_nonnegative_int("n_iter", n_iter)
    tau = check_positive_float("tau", tau)
    if max_weight is not None:
        max_weight = check_positive_float("max_weight", max_weight)
    if eta is None:
        return theorem_step_sizes(tau, n)
    check_array_bytes("n_iter", (n,), what="the step-size schedule")
    if callable(eta):
        arr = as_float_array("eta", [eta(t) for t in range(n)], ndim=1)
    elif _is_scalar(eta):
        arr = np.full(n, check_positive_float("eta", eta))
    else:
        arr = as_float_array("eta", eta, ndim=1)
        if arr.size < n:
            raise ValueError(f"eta: schedule has {arr.size} entries, need n_iter = {n}")
        arr = arr[:n].copy()
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError("eta: step sizes must be finite and > 0")
    if max_weight is not None and n and np.max(arr) * tau > max_weight * (1 + 1e-12):
        raise ValueError(f"eta: need eta_t * tau <= {max_weight:g} (a mixture weight), got "
                         f"max eta_t * tau = {np.max(arr) * tau:.6g}")
    return arr


def _checkpoints(checkpoints, n_iter):
    if checkpoints is None:
        return np.array([n_iter], dtype=np.int64)
    c = np.asarray(checkpoints)
    if c.ndim != 1 or c.size == 0 or not np.issubdtype(c.dtype, np.integer):
        raise ValueError("checkpoints: expected a non-empty 1-D array of integers")
    c = np.unique(c.astype(np.int64))
    if c[0] < 0 or c[-1] > n_iter:
        raise ValueError(f"checkpoints: must lie in [0, n_iter={n_iter}], got range "
                         f"[{c[0]}, {c[-1]}]")
    return c


def _initial_logits(game: PreferenceGame, pi0) -> np.ndarray:
    pi0 = game.mu if pi0 is None else game.check_policy(pi0, "pi0")
    if np.any((pi0 <= 0) & game.support):
        raise ValueError("pi0: must be positive on the support of mu (mirror descent stays in "
                         "the relative interior)")
    if np.any((pi0 > 0) & ~game.support):
        raise ValueError("pi0: puts mass outside the support of mu")
    with np.errstate(divide="ignore"):
        return np.ascontiguousarray(np.where(game.support, np.log(pi0), -np.inf))


# ---------------------------------------------------------------------------- numpy reference

def geometric_mixture(pi, mu, weight: float) -> np.ndarray:
    r"""Normalized geometric mixture :math:`\pi^{1-w}\mu^{w}/Z` per row (eq. 3 with
    :math:`w = \eta_t\tau`).  ``pi``, ``mu``: ``[X, Y]`` with the support of ``mu``."""
    mu = as_float_array("mu", mu, ndim=2)
    check_distribution("mu", mu)
    pi = as_float_array("pi", pi, shape=mu.shape)
    check_distribution("pi", pi)
    weight = check_real("weight", weight)
    check_in_range("weight", np.asarray(weight), 0.0, 1.0)
    return _geometric_mixture(pi, mu, weight)


def _geometric_mixture(pi, mu, weight):
    """:func:`geometric_mixture` without validation."""
    pi = np.asarray(pi, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    sup = mu > 0
    with np.errstate(divide="ignore"):
        z = ((1.0 - weight) * np.log(np.where(sup, pi, 1.0))
             + weight * np.log(np.where(sup, mu, 1.0)))
    return masked_softmax(z, sup)


def nash_md_step(game: PreferenceGame, pi, tau: float, eta: float, g=None) -> np.ndarray:
    r"""One Nash-MD step (eqs. 3-5) in plain numpy; the readable reference of the kernel.

    Parameters
    ----------
    game : PreferenceGame
    pi : array_like, shape (X, Y)
        Current policy :math:`\pi_t`, positive on the support of ``mu``.
    tau, eta : float
        :math:`\eta\tau \le 1`.
    g : array_like, shape (X, Y), optional
        Feedback :math:`\mathcal P(\cdot\succ\pi^\mu_t)`; exact when omitted.

    Returns
    -------
    ndarray, shape (X, Y)
        :math:`\pi_{t+1}`.
    """
    _check_game(game)
    pi = game.check_policy(pi)
    tau = check_positive_float("tau", tau)
    eta = check_positive_float("eta", eta)
    if eta * tau > 1 + 1e-12:
        raise ValueError(f"eta: need eta * tau <= 1, got {eta * tau}")
    mix = _geometric_mixture(pi, game.mu, eta * tau)
    if g is None:
        g = np.einsum("xab,xb->xa", game.pref, mix)
    else:
        g = as_float_array("g", g, ndim=(1, 2))
        if g.shape not in (game.mu.shape, game.mu.shape[1:]):
            raise ValueError(f"g: expected shape {game.mu.shape}, got {g.shape}")
    with np.errstate(divide="ignore"):
        z = np.log(mix) + eta * np.asarray(g)
    return masked_softmax(z, game.support)


# ---------------------------------------------------------------------------- kernel

@njit(cache=True)
def _feedback(P, p, sup, sampled, m, rng, g):
    """g[y] = P(y > p): exact (P @ p) or the mean over m i.i.d. draws y' ~ p (inverse CDF, one
    uniform each; ``p`` is 0 off ``sup``)."""
    n = p.size
    for y in range(n):
        g[y] = 0.0
    if not sampled:
        for y in range(n):
            if sup[y]:
                acc = 0.0
                for z in range(n):
                    if sup[z]:
                        acc += P[y, z] * p[z]
                g[y] = acc
        return
    for _ in range(m):
        j = inverse_cdf_draw(p, rng.random())
        for y in range(n):
            if sup[y]:
                g[y] += P[y, j]
    for y in range(n):
        g[y] /= m


@njit(cache=True)
def _run_kernel(mode, pref, lmu, sup, lpi0, eta, tau, sampled, m, ckpt, rng, out, out_avg):
    X, n = lmu.shape
    T = eta.size
    l = lpi0.copy()
    pis = np.zeros((X, n))
    avg = np.zeros((X, n))
    for x in range(X):
        pis[x] = masked_log_softmax_inplace(l[x], sup[x])
    k = 0
    if k < ckpt.size and ckpt[k] == 0:
        out[k] = l
        for x in range(X):
            for y in range(n):
                out_avg[k, x, y] = l[x, y]
        k += 1
    g = np.zeros(n)
    lmix = np.zeros(n)
    for t in range(T):
        e = eta[t]
        a = e * tau
        for x in range(X):
            s = sup[x]
            P = pref[x]
            for y in range(n):
                avg[x, y] += pis[x, y]
            if mode == 0 or mode == 1 or mode == 3:
                for y in range(n):
                    lmix[y] = (1.0 - a) * l[x, y] + a * lmu[x, y] if s[y] else -np.inf
            if mode == 0:
                pm = masked_log_softmax_inplace(lmix, s)
                _feedback(P, pm, s, sampled, m, rng, g)
                for y in range(n):
                    l[x, y] = lmix[y] + e * g[y] if s[y] else -np.inf
            elif mode == 1:
                _feedback(P, pis[x], s, sampled, m, rng, g)
                for y in range(n):
                    l[x, y] = lmix[y] + e * g[y] if s[y] else -np.inf
            elif mode == 2:
                _feedback(P, pis[x], s, sampled, m, rng, g)
                for y in range(n):
                    if s[y]:
                        l[x, y] = (l[x, y] + a * lmu[x, y] + e * g[y]) / (1.0 + a)
            elif mode == 3:
                _feedback(P, pis[x], s, sampled, m, rng, g)
                half = np.empty(n)
                for y in range(n):
                    half[y] = lmix[y] + e * g[y] if s[y] else -np.inf
                ph = masked_log_softmax_inplace(half, s)
                _feedback(P, ph, s, sampled, m, rng, g)
                for y in range(n):
                    l[x, y] = lmix[y] + e * g[y] if s[y] else -np.inf
            else:
                _feedback(P, pis[x], s, sampled, m, rng, g)
                for y in range(n):
                    l[x, y] = lmu[x, y] + g[y] / tau if s[y] else -np.inf
            pis[x] = masked_log_softmax_inplace(l[x], s)
        while k < ckpt.size and ckpt[k] == t + 1:
            out[k] = l
            for x in range(X):
                for y in range(n):
                    out_avg[k, x, y] = np.log(avg[x, y] / (t + 1)) if sup[x, y] else -np.inf
            k += 1
    return l


def _run(mode, game, tau, eta, lpi0, feedback, n_samples, checkpoints, rng):
    ckpt = _checkpoints(checkpoints, eta.size)
    sampled = feedback == "sampled"
    gen = as_generator(rng) if sampled else np.random.default_rng(0)
    K = ckpt.size
    out = np.empty((K,) + game.mu.shape)
    out_avg = np.empty((K,) + game.mu.shape)
    _run_kernel(mode, game.pref, game.log_reference, game.support, lpi0, eta, float(tau),
                sampled, int(n_samples), ckpt, gen, out, out_avg)
    return ckpt, out, out_avg


def _check_game(game):
    check_instance("game", game, PreferenceGame)


def _check_feedback(feedback, n_samples):
    if feedback not in _FEEDBACK:
        raise ValueError(f"feedback: must be one of {_FEEDBACK}, got {feedback!r}")
    return check_positive_int("n_samples", n_samples)


def nash_md(game: PreferenceGame, tau: float, n_iter: int, *,
            eta: float | Callable[[int], float] | np.ndarray | None = None, pi0=None,
            feedback: str = "exact", n_samples: int = 1, checkpoints=None,
            rng=None) -> PreferenceDynamicsResult:
    r"""Run tabular Nash-MD (Munos et al. 2023, eqs. 3-5) for ``n_iter`` steps.

    Parameters
    ----------
    game : PreferenceGame
    tau : float > 0
        Regularization (paper :math:`\tau`; TRL ``beta``).
    n_iter : int >= 0
        Number of steps ``T``.
    eta : None, float, callable or array_like
        Step sizes; ``None`` is Theorem 1's :math:`\eta_t = 2/(\tau(t+2))` [V].  Requires
        :math:`\eta_t\tau \le 1` (the mixture weight, TRL ``mixture_coef`` analogue).
    pi0 : array_like, shape (X, Y), optional
        Initial policy (default ``mu``), positive on the support of ``mu``.
    feedback : {"exact", "sampled"}
        ``"sampled"``: :math:`\hat g(y) = \frac1m\sum_j P(y\succ y'_j)`, :math:`y'_j \sim
        \pi^\mu_t` i.i.d. (unbiased; outside Theorem 1).
    n_samples : int, default 1
        ``m``, opponent samples per step and context (sampled feedback).
    checkpoints : array_like of int, optional
        Iteration counts at which to record :math:`\pi_T` (default: only ``n_iter``).
    rng : Generator, int or SeedSequence
        Used by sampled feedback only.

    Returns
    -------
    PreferenceDynamicsResult

    Guarantee
    ---------
    Theorem 1 (exact feedback, default schedule): :math:`\mathrm{KL}_\rho(\pi^*_\tau, \pi_T)
    \le 8/(\tau^2(T+1))` for every ``T``.

    Examples
    --------
    >>> from rlth.instances.preference import nontransitive_dice
    >>> from rlth.solvers.preference import solve_regularized_nash
    >>> game = nontransitive_dice(mu=[0.6, 0.3, 0.1])
    >>> star = solve_regularized_nash(game, 0.1).pi
    >>> res = nash_md(game, 0.1, 1000)
    >>> bool(res.kl_from(game, star)[-1] <= 8 / (0.1**2 * 1001))
    True
    """
    _check_game(game)
    tau = check_positive_float("tau", tau)
    n_iter = check_nonnegative_int("n_iter", n_iter)
    n_samples = _check_feedback(feedback, n_samples)
    eta = step_sizes(eta, tau, n_iter)
    lpi0 = _initial_logits(game, pi0)
    ckpt, out, _ = _run(MODE_NASH_MD, game, tau, eta, lpi0, feedback, n_samples, checkpoints,
                        rng)
    return PreferenceDynamicsResult(checkpoints=ckpt, log_iterates=out, eta=eta, tau=tau,
                                    feedback=feedback, n_samples=n_samples, method="nash_md")
