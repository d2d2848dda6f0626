r"""The Assouad / Le Cam level of the needle family: an explicit Bayes-regret lower bound [D].

The instance is :func:`rlth.instances.episodic_minimax.needle_mdp` (in the spirit of Domingues,
Menard, Kaufmann, Valko, ALT 2021, arXiv:2010.03531; the construction and every constant below
are ours, [D]).  ``n_d`` decision states, ``M = n_commit H_bar`` needle positions per state
(``H_bar = H // 3``), advantage ``eps``; the needles are drawn from the product uniform prior
(:func:`rlth.instances.episodic_minimax.draw_needles`).  The quantity bounded is the
*prior-averaged* (Bayes) pseudo-regret ``E_needles E[sum_k V*_0 - V^{pi_k}_0]`` of any algorithm
over ``K`` episodes.

Derivation
----------
Fix a decision state ``d``.  Condition on the start states of the ``K`` episodes (exogenous:
``rho`` is uniform and does not depend on the algorithm) and on the needles of the other
states; under the product prior the needle ``j`` of ``d`` is still uniform on the ``M``
positions.  Only the ``n = K_d`` episodes that start in ``d`` visit ``d``
(``K_d ~ Binomial(K, 1/n_d)``).  Each of them commits exactly once: at one of the ``M`` positions
``(a, h)``, or by waiting through the last decision step (a "null" position, ``1/2`` and never the
needle), and its only observation that depends on ``j`` is one Bernoulli (``G`` or ``B``) of mean
``1/2 + eps 1{position = j}``; rewards are functions of the states.  Observations in the other
states have the same law whatever ``j``.  The episode's regret is
``eps (H - H_bar) (1 - Pr[commit at j])``, so the regret from ``d`` is
``eps (H - H_bar) (n - E_j[T_j])`` with ``T_j`` the number of commits at position ``j``.

Let ``P_0`` be the law of the whole interaction with no needle in ``d`` (every position, and the
null one, ``1/2``) and ``P_j`` the law with the needle at ``j``.

1. ``sum_j E_0[T_j] <= n`` (the null position takes the rest).
2. ``T_j`` lies in ``[0, n]``, so ``E_j[T_j] <= E_0[T_j] + n TV(P_0, P_j)
   <= E_0[T_j] + n sqrt(KL(P_0, P_j) / 2)`` (Pinsker).
3. Divergence decomposition (chain rule over the interaction; only pulls of ``j`` differ):
   ``KL(P_0, P_j) = E_0[T_j] kl(1/2 || 1/2 + eps)``, with
   ``kl(1/2 || 1/2 + eps) = (1/2) log(1/(1 + 2 eps)) + (1/2) log(1/(1 - 2 eps))
   = -(1/2) log(1 - 4 eps^2)`` (``+inf`` at ``eps = 1/2``).
4. Averaging over ``j`` and Cauchy-Schwarz / Jensen (``sum_j sqrt(x_j) <= sqrt(M sum_j x_j)``):
   ``(1/M) sum_j E_j[T_j] <= n/M + (n/M) sqrt(M n kl / 2) = n/M + n sqrt(n kl / (2 M))``.

Hence, given ``n``, the Bayes regret from ``d`` is at least

.. math::
    f(n) = \varepsilon (H - \bar H)\,\max\Big(0,\; n\big(1 - \tfrac1M\big)
           - n^{3/2}\sqrt{\mathrm{kl}/(2M)}\Big),

and summing over the ``n_d`` states (all have the same law of ``K_d``),

.. math::
    \mathrm{level}(K) = n_d\; \mathbb E_{K_d \sim \mathrm{Bin}(K, 1/n_d)}\big[f(K_d)\big]
    \;\le\; \text{Bayes regret of any algorithm}.

The waiting-to-the-end option is a position that is never the needle: it only enters step 1
(``sum_j E_0[T_j] <= n`` instead of ``= n``), which is the direction the bound needs.  With
``eps = needle_eps(K, c, ...) = min(c sqrt(n_d M / K), cap)``.

Computation.  The expectation is a sum over the binomial pmf (:mod:`scipy.stats`) restricted to
``n`` within 12 standard deviations of ``K / n_d`` and to ``n <= (a/b)^2`` (where ``f`` vanishes;
``a = 1 - 1/M``, ``b = sqrt(kl/(2M))``).  Every dropped term is ``>= 0``, so the truncated sum is
still a lower bound (truncation only lowers the level), and it misses at most
``n_d eps (H - H_bar) a K Pr[K_d outside the window]``, which
:func:`needle_level_truncation` computes exactly (below ``1e-30`` of the level in practice;
Bernstein gives ``Pr <= 2 exp(-72 sigma / (sigma + 4))``).

Small-``eps`` form
------------------
With ``kl = 2 eps^2 (1 + O(eps^2))`` and ``K_d ~ K / n_d``,
``f(K/n_d) ~ eps (H - H_bar) (K/n_d) (1 - 1/M - c)`` (since ``(K/n_d) eps / sqrt(M) =
c sqrt(K/n_d)``), so

.. math::
    \mathrm{level}(K) \approx c\,(1 - \tfrac1M - c)\,(H - \bar H)\,\sqrt{n_d M K}
    \qquad (:func:`needle_level_asymptotic`),

maximised at ``c = (1 - 1/M)/2`` with value ``(1 - 1/M)^2 / 4 (H - H_bar) sqrt(n_d M K)``.  With
``H_bar ~ H/3``, ``H - H_bar ~ 2H/3``, ``S ~ n_d`` and ``A ~ n_commit`` (``M ~ A H / 3``) this is
``~ (2/(3 sqrt 3)) (1 - 1/M)^2 / 4 sqrt(H^3 S A K)``: the shape ``sqrt(H^3 S A K)`` of the minimax
lower bound.  The exact level is slightly below the small-``eps`` form (``kl >= 2 eps^2``, and
``E[K_d^{3/2}] >= (K/n_d)^{3/2}``), the ratio tending to 1 as ``K`` grows at fixed ``c``.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

from .._validation import check_positive_float, check_positive_int, check_real
from ..instances.episodic_minimax import MAX_GAP, needle_commit_window, needle_eps

__all__ = ["needle_kl", "needle_level", "needle_level_at_eps", "needle_level_truncation",
           "needle_level_asymptotic", "needle_level_best_c"]

#: half-width of the binomial window, in standard deviations
WINDOW_SD = 12.0


def needle_kl(eps: float) -> float:
    """``kl(1/2 || 1/2 + eps) = -(1/2) log(1 - 4 eps^2)`` (``inf`` at ``eps = 1/2``) [D].

    Examples
    --------
    >>> round(needle_kl(0.1), 8), round(2 * 0.1 ** 2, 8)
    (0.020411, 0.02)
    """
    eps = check_real("eps", eps)
    if not 0.0 <= eps <= MAX_GAP:
        raise ValueError(f"eps: must lie in [0, {MAX_GAP}], got {eps}")
    if eps == MAX_GAP:
        return math.inf
    return -0.5 * math.log1p(-4.0 * eps * eps)


def _checked(K, n_decision, n_commit, horizon):
    K = check_positive_int("K", K)
    n_d = check_positive_int("n_decision", n_decision)
    n_c = check_positive_int("n_commit", n_commit)
    H = check_positive_int("horizon", horizon)
    H_bar = needle_commit_window(H)
    return K, n_d, n_c * H_bar, H, H_bar


def _window(K: int, n_d: int, n_max: float) -> tuple[int, int]:
    p = 1.0 / n_d
    mu, sd = K * p, math.sqrt(K * p * (1.0 - p))
    lo = max(0, int(math.floor(mu - WINDOW_SD * sd)))
    hi = min(K, int(math.ceil(mu + WINDOW_SD * sd)))
    if math.isfinite(n_max):
        hi = min(hi, int(math.floor(n_max)))
    return lo, hi


def needle_level_at_eps(K: int, eps: float, *, n_decision: int, n_commit: int,
                        horizon: int) -> float:
    r"""``n_d E_{K_d ~ Bin(K, 1/n_d)}[f(K_d)]`` at a given ``eps`` (module docstring) [D].

    A lower bound on the prior-averaged regret over ``K`` episodes of any algorithm on
    ``needle_mdp(needles, eps, ...)`` with ``needles`` from the product uniform prior.

    Examples
    --------
    >>> round(needle_level_at_eps(1000, 0.05, n_decision=2, n_commit=2, horizon=6), 4)
    37.8735
    """
    K, n_d, M, H, H_bar = _checked(K, n_decision, n_commit, horizon)
    kl = needle_kl(eps)
    eps = float(eps)
    a = 1.0 - 1.0 / M
    if eps == 0.0 or a == 0.0 or not math.isfinite(kl):
        return 0.0
    b = math.sqrt(kl / (2.0 * M))
    lo, hi = _window(K, n_d, (a / b) ** 2)
    if hi < lo:
        return 0.0
    n = np.arange(lo, hi + 1, dtype=np.float64)
    f = np.maximum(0.0, a * n - b * n ** 1.5)
    pmf = np.ones(1) if n_d == 1 else stats.binom.pmf(n, K, 1.0 / n_d)
    return float(n_d * eps * (H - H_bar) * np.dot(pmf, f))


def needle_level_truncation(K: int, eps: float, *, n_decision: int, n_commit: int,
                            horizon: int) -> float:
    """Upper bound on what the binomial window of :func:`needle_level_at_eps` leaves out [D].

    ``n_d eps (H - H_bar) (1 - 1/M) K Pr[K_d outside the window]`` (``f(n) <= eps (H - H_bar)
    (1 - 1/M) n``); the cut at ``n > (a/b)^2`` drops only zeros.

    Examples
    --------
    >>> needle_level_truncation(10**6, 0.001, n_decision=2, n_commit=2, horizon=6) < 1e-20
    True
    """
    K, n_d, M, H, H_bar = _checked(K, n_decision, n_commit, horizon)
    needle_kl(eps)
    if n_d == 1:
        return 0.0
    lo, hi = _window(K, n_d, math.inf)
    p = 1.0 / n_d
    tail = float(stats.binom.cdf(lo - 1, K, p) + stats.binom.sf(hi, K, p))
    return n_d * float(eps) * (H - H_bar) * (1.0 - 1.0 / M) * K * tail


def needle_level(K: int, *, c: float, n_decision: int, n_commit: int, horizon: int,
                 cap: float = MAX_GAP) -> float:
    """Bayes-regret lower bound at ``eps = needle_eps(K, c, ...)`` (module docstring) [D].

    Parameters
    ----------
    K : int
        Number of episodes.
    c : float > 0
        Scale of ``eps = min(c sqrt(n_d M / K), cap)``.
    n_decision, n_commit : int
        ``n_d`` decision states, ``n_commit`` commit actions (``M = n_commit H_bar``).
    horizon : int >= 3
    cap : float in (0, 1/2]

    Returns
    -------
    float
        ``n_d E_{K_d ~ Bin(K, 1/n_d)}[eps (H - H_bar) max(0, K_d (1 - 1/M)
        - K_d^{3/2} sqrt(kl(1/2 || 1/2 + eps) / (2 M)))]``, between 0 and
        ``K eps (H - H_bar)``.

    Examples
    --------
    >>> round(needle_level(10**5, c=0.37, n_decision=2, n_commit=2, horizon=6), 2)
    503.02
    """
    eps = needle_eps(check_positive_int("K", K), c, n_decision, n_commit, horizon, cap=cap)
    return needle_level_at_eps(K, eps, n_decision=n_decision, n_commit=n_commit,
                               horizon=horizon)


def needle_level_asymptotic(K: int, c: float, n_decision: int, n_commit: int,
                            horizon: int) -> float:
    """Small-``eps`` form ``max(0, c (1 - 1/M - c)) (H - H_bar) sqrt(n_d M K)`` [D].

    The limit of :func:`needle_level` / this as ``K -> infinity`` at fixed ``c`` is 1 (uncapped
    ``eps``); it is an approximation, not a bound.

    Examples
    --------
    >>> round(needle_level_asymptotic(10**5, 0.375, 2, 2, 6), 2)
    503.12
    """
    K, n_d, M, H, H_bar = _checked(K, n_decision, n_commit, horizon)
    c = check_positive_float("c", c)
    return max(0.0, c * (1.0 - 1.0 / M - c)) * (H - H_bar) * math.sqrt(n_d * M * K)


def needle_level_best_c(K: int, *, n_decision: int, n_commit: int, horizon: int,
                        cap: float = MAX_GAP) -> float:
    """The ``c`` in ``(0, 1)`` maximising :func:`needle_level` [D].

    A grid of 64 values of ``c`` locates the maximum, then
    :func:`scipy.optimize.minimize_scalar` (bounded) refines it between the grid neighbours.
    Close to ``(1 - 1/M)/2`` when ``eps`` is small; 0.5 (any ``c``, level 0) when ``M = 1``.

    Examples
    --------
    >>> round(needle_level_best_c(10**6, n_decision=2, n_commit=2, horizon=6), 3)
    0.375
    """
    K, n_d, M, H, H_bar = _checked(K, n_decision, n_commit, horizon)
    if M == 1:
        return 0.5

    def level(c):
        return needle_level(K, c=float(c), n_decision=n_d, n_commit=n_commit, horizon=H,
                            cap=cap)

    grid = np.linspace(1e-3, 1.0 - 1e-3, 64)
    vals = [level(c) for c in grid]
    i = int(np.argmax(vals))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    res = optimize.minimize_scalar(lambda c: -level(c), bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-6})
    return float(res.x) if -res.fun >= vals[i] else float(grid[i])
