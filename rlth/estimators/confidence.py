r"""Confidence widths, each the radius of one concentration inequality.

Every function returns the half-width :math:`b` of an interval that holds with probability at
least :math:`1 - \delta` (after the stated union bound); the caller adds or subtracts it
(optimism / pessimism).  The inequalities:

* **Hoeffding** (1963, Thm 2): i.i.d. :math:`X_i \in [a, a + \mathrm{range}]`,
  :math:`\Pr(|\bar X_n - \mathbb E X| \ge \epsilon) \le 2 \exp(-2 n \epsilon^2 / \mathrm{range}^2)`,
  so with a union bound over ``n_union`` events
  :math:`b = \sqrt{c \ln(2\, n_{union} / \delta) / n}` with :math:`c = \mathrm{range}^2 / 2`
  (LCB's penalty is this form with the paper's ``c = 2000``).
* **Empirical Bernstein** (Maurer & Pontil 2009, Thm 4): i.i.d. :math:`X_i \in [0, \mathrm{range}]`,
  ``n >= 2``, sample variance :math:`V_n` (denominator ``n - 1``): with probability
  :math:`\ge 1 - \delta`, :math:`\mathbb E X - \bar X_n \le \sqrt{2 V_n \ln(2/\delta) / n} +
  7\, \mathrm{range} \ln(2/\delta) / (3 (n - 1))` (one-sided).
* **Weissman L1** (Weissman, Ordentlich, Seroussi, Verdu, Weinberger 2003, Thm 2.1):
  the empirical distribution of ``n`` i.i.d. draws on ``S`` symbols satisfies
  :math:`\Pr(\|\hat P - P\|_1 \ge \epsilon) \le (2^S - 2) e^{-n \epsilon^2 / 2}`, so
  :math:`\|\hat P - P\|_1 \le \sqrt{2 (S \ln 2 + \ln(1/\delta)) / n}` w.p. :math:`\ge 1 - \delta`.
* **Elliptical** (ridge regression, Abbasi-Yadkori, Pal, Szepesvari 2011, Thm 2; Jin, Yang,
  Wang, Jordan 2020): :math:`|\phi^\top (\hat w - w)| \le \beta \|\phi\|_{\Lambda^{-1}}` on the
  event :math:`\|\hat w - w\|_\Lambda \le \beta`; the radius ``beta`` is the caller's (it is
  paper-specific).

The UCBVI bonuses of Azar, Osband, Munos (2017) and the Weissman width are also provided as
numba scalar functions for kernels (:func:`ucbvi_hoeffding_bonus`, :func:`ucbvi_bernstein_core`,
:func:`weissman_l1_width`).  Each writes its expression in exactly the order of the inline code
it replaces and is declared ``inline="always"``: numba inlines it into the calling kernel's IR,
where it is compiled with *the kernel's* ``fastmath`` flags.  Under
``fastmath={'reassoc', 'contract'}`` the compiled arithmetic depends on the surrounding code, so
bit-identity with an inline expression is a property of the calling kernel, to be checked there:
inlined into today's ``optimistic_q`` / ``pessimistic_value`` (UCBVI, StepMix) it reproduced
the inline code bitwise in 800 / 800 random cases each, whereas a separately compiled callee
differed in the last bits in 22 / 800 and 146 / 800 cases.

Source tags on constants (as in the rest of rlth): [V] verified against the source (textbook
results), [V3] checked against third-party restatements / implementations (the primary text
was not read for this module), [R] reconstructed, [D] our derivation.

Functions
---------
resolve_delta, hoeffding_log_term, hoeffding_width, empirical_bernstein_width,
weissman_l1_log_term, weissman_width, elliptical_width, ucbvi_log_term (Python);
ucbvi_hoeffding_bonus, ucbvi_bernstein_core, weissman_l1_width (numba scalars).

References
----------
W. Hoeffding, "Probability inequalities for sums of bounded random variables", JASA 58, 1963.
A. Maurer, M. Pontil, "Empirical Bernstein bounds and sample variance penalization", COLT 2009.
T. Weissman, E. Ordentlich, G. Seroussi, S. Verdu, M. Weinberger, "Inequalities for the L1
deviation of the empirical distribution", HP Labs tech. report HPL-2003-97, 2003.
M. G. Azar, I. Osband, R. Munos, "Minimax Regret Bounds for Reinforcement Learning", ICML 2017.
Y. Abbasi-Yadkori, D. Pal, C. Szepesvari, "Improved algorithms for linear stochastic bandits",
NeurIPS 2011.

Examples
--------
>>> import numpy as np
>>> b = hoeffding_width(np.array([0, 100]), 0.05)  # c = 1/2, union over the 2 cells
>>> bool(np.isinf(b[0])), round(float(b[1]), 4)      # sqrt(ln(2 * 2 / 0.05) / 200)
(True, 0.148)
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._validation import (as_float_array, check_delta, check_positive_float,
                           check_positive_int)
from .linear import elliptical_norms
from .tabular import check_counts

__all__ = [
    "resolve_delta", "hoeffding_log_term", "hoeffding_width", "empirical_bernstein_width",
    "weissman_l1_log_term", "weissman_width", "elliptical_width", "ucbvi_log_term",
    "ucbvi_hoeffding_bonus", "ucbvi_bernstein_core", "weissman_l1_width",
    "linear_log_term", "pevi_beta", "sqrt_d_beta", "variance_correction",
    "VARIANCE_CORRECTION_FORMS",
]


def resolve_delta(delta, n_samples: int) -> float:
    """Failure probability: ``delta`` checked to lie in (0, 1], or ``1 / N`` when ``None``.

    Parameters
    ----------
    delta : float or None
        Failure probability; ``None`` gives the ``delta = 1/N`` of most offline theorems
        (e.g. Rashidinejad et al. 2021, Theorems 1-7 [V]).
    n_samples : int
        ``N`` (values below 1 count as 1).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        ``delta`` not a real number in (0, 1] (message starts with ``delta``).
    """
    if delta is None:
        return 1.0 / max(int(n_samples), 1)
    d = check_positive_float("delta", delta)
    if d > 1.0:
        raise ValueError(f"delta: must lie in (0, 1], got {d}")
    return d


def hoeffding_log_term(delta: float, n_union=1) -> float:
    r"""The logarithm :math:`\ln(2\, n_{union} / \delta)` of a two-sided Hoeffding bound.

    Parameters
    ----------
    delta : float
        Total failure probability, in (0, 1].
    n_union : int or float, default 1
        Number of events in the union bound (e.g. ``|S||A|`` cells; VI-LCB's
        ``(T+1)|S||A|``); must be >= 1.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        ``delta`` outside (0, 1] or ``n_union`` < 1.
    """
    delta = resolve_delta(check_positive_float("delta", delta), 1)
    if check_positive_float("n_union", n_union) < 1:
        raise ValueError(f"n_union: must be >= 1, got {n_union}")
    return float(np.log(2.0 * n_union / delta))


def hoeffding_width(counts, delta: float, *, c: float = 0.5, n_union=None,
                    unvisited: float = np.inf) -> np.ndarray:
    r"""Hoeffding half-width :math:`b(n) = \sqrt{c \ln(2\, n_{union} / \delta) / n}` per cell.

    Parameters
    ----------
    counts : array_like of int, any shape
        Sample sizes ``n`` (one per cell).
    delta : float
        Failure probability in (0, 1] for all cells together.
    c : float, default 1/2
        :math:`\mathrm{range}^2 / 2` for variables in an interval of length ``range``
        (1/2: rewards in [0, 1], Hoeffding's constant [V]).  LCB's contextual-bandit
        penalty uses ``c = 2000`` (Rashidinejad et al. 2021, Alg. 2 [V]).
    n_union : int, optional
        Events in the union bound; default ``counts.size`` (every cell at once).
    unvisited : float, default inf
        Width returned where ``n = 0`` (no information; LCB uses 1).

    Returns
    -------
    ndarray of float64, same shape as ``counts``

    Raises
    ------
    ValueError
        Negative or non-integer counts, ``delta`` outside (0, 1], ``c < 0``, ``n_union < 1``.

    Guarantee
    ---------
    For i.i.d. :math:`X_1..X_n` in an interval of length ``range`` with ``c = range^2/2``:
    :math:`\Pr(|\bar X_n - \mathbb E X| \ge b(n)) \le \delta / n_{union}` (Hoeffding 1963,
    Thm 2 [V]), so all ``n_union`` cells hold together w.p. >= 1 - delta.  With random
    ``N(s, a)`` the bound holds conditionally on the counts (the samples of a cell are
    i.i.d. given how many there are).
    """
    counts = check_counts(counts)
    c = check_positive_float("c", c, allow_zero=True)
    n_union = counts.size if n_union is None else n_union
    log_term = hoeffding_log_term(delta, n_union)
    with np.errstate(divide="ignore"):
        b = np.sqrt(c * log_term / np.maximum(counts, 1))
    return np.where(counts > 0, b, unvisited)


def empirical_bernstein_width(counts, sample_var, delta: float, *, value_range: float = 1.0,
                              n_union: int = 1, unvisited: float = np.inf) -> np.ndarray:
    r"""Empirical Bernstein half-width (Maurer & Pontil 2009, Thm 4), one-sided.

    .. math:: b(n) = \sqrt{\frac{2 V_n \ln(2 n_{union}/\delta)}{n}}
              + \frac{7\, \mathrm{range}\, \ln(2 n_{union}/\delta)}{3 (n - 1)} .

    Parameters
    ----------
    counts : array_like of int, any shape
        Sample sizes ``n``.
    sample_var : array_like, same shape
        Unbiased sample variance :math:`V_n = \frac{1}{n-1}\sum_i (X_i - \bar X_n)^2`
        (>= 0; ignored where ``n < 2``).
    delta : float
        Failure probability in (0, 1] (one side, all ``n_union`` events together).
    value_range : float, default 1
        Length of the interval holding the variables (``[0, range]``).
    n_union : int, default 1
        Events in the union bound (for a two-sided interval, 2 per cell).
    unvisited : float, default inf
        Width where ``n < 2`` (the bound needs two samples).

    Returns
    -------
    ndarray of float64, same shape as ``counts``

    Raises
    ------
    ValueError
        Bad counts, ``sample_var`` negative / of another shape, ``delta`` outside (0, 1],
        ``value_range <= 0``, ``n_union < 1``.

    Guarantee
    ---------
    For i.i.d. :math:`X_i \in [0, \mathrm{range}]`, ``n >= 2``:
    :math:`\Pr(\mathbb E X - \bar X_n > b(n)) \le \delta / n_{union}` (Maurer & Pontil 2009,
    Thm 4, constants 2 and 7/3 [V3]; the ``range`` scaling [D] by applying it to
    :math:`X / \mathrm{range}`).  The same holds for :math:`\bar X_n - \mathbb E X` (apply the
    theorem to :math:`\mathrm{range} - X`).
    """
    counts = check_counts(counts)
    var = as_float_array("sample_var", sample_var, shape=counts.shape)
    if np.any(var < 0):
        raise ValueError("sample_var: must be >= 0")
    value_range = check_positive_float("value_range", value_range)
    log_term = hoeffding_log_term(delta, n_union)
    n = np.maximum(counts, 2).astype(np.float64)
    b = np.sqrt(2.0 * var * log_term / n) + 7.0 * value_range * log_term / (3.0 * (n - 1.0))
    return np.where(counts >= 2, b, unvisited)


def weissman_l1_log_term(n_states: int, delta: float, n_union=1) -> float:
    r"""``w = 2 (S ln 2 + ln(n_union / delta))``, so that :math:`\|\hat P - P\|_1 \le \sqrt{w / n}`.

    Parameters
    ----------
    n_states : int
        Support size ``S`` of the distribution.
    delta : float
        Total failure probability in (0, 1).
    n_union : int, default 1
        Events in the union bound (StepMix: ``S A H_c T`` pairs x count values).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        ``n_states < 1``, ``delta`` outside (0, 1), ``n_union < 1``.

    Guarantee
    ---------
    Weissman et al. (2003), Thm 2.1 [V3]: :math:`\Pr(\|\hat P_n - P\|_1 \ge \epsilon) \le
    (2^S - 2) e^{-n\epsilon^2/2} < 2^S e^{-n\epsilon^2/2}`; setting the right side to
    ``delta / n_union`` gives :math:`\epsilon = \sqrt{w / n}` [D].
    """
    n_states = check_positive_int("n_states", n_states)
    delta = check_delta(delta)
    n_union = check_positive_int("n_union", n_union)
    return 2.0 * (n_states * math.log(2.0) + math.log(n_union / delta))


def weissman_width(counts, n_states: int, delta: float, *, n_union=None,
                   unvisited: float = np.inf) -> np.ndarray:
    r"""Weissman L1 half-width :math:`\sqrt{2 (S \ln 2 + \ln(n_{union}/\delta)) / n}` per cell.

    Parameters
    ----------
    counts : array_like of int, any shape
        Sample sizes ``n`` of the empirical distributions (e.g. ``N(s, a)``).
    n_states : int
        Support size ``S``.
    delta : float
        Failure probability in (0, 1) for all cells together.
    n_union : int, optional
        Events in the union bound; default ``counts.size``.
    unvisited : float, default inf
        Width where ``n = 0`` (the L1 distance is at most 2 anyway).

    Returns
    -------
    ndarray of float64, same shape as ``counts``

    Guarantee
    ---------
    W.p. >= 1 - delta, :math:`\|\hat P(\cdot|s,a) - P(\cdot|s,a)\|_1 \le b(N(s,a))` for every
    cell (see :func:`weissman_l1_log_term`).  Elementwise equal to :func:`weissman_l1_width`
    on :func:`weissman_l1_log_term` (same expression order).
    """
    counts = check_counts(counts)
    n_union = counts.size if n_union is None else n_union
    w = weissman_l1_log_term(n_states, delta, n_union)
    b = np.sqrt(w * (1.0 / np.maximum(counts, 1)))
    return np.where(counts > 0, b, unvisited)


def elliptical_width(phi, gram, beta: float) -> np.ndarray:
    r"""Elliptical half-width :math:`\beta \|\phi(s, a)\|_{\Lambda^{-1}}` for every (s, a).

    Parameters
    ----------
    phi : array_like, shape (S, A, d) or (H, S, A, d)
        Features.
    gram : array_like, shape (d, d) or (H, d, d)
        Positive definite :math:`\Lambda` (e.g. :func:`rlth.estimators.linear.gram_matrix`).
    beta : float
        Radius of the confidence ellipsoid :math:`\|\hat w - w\|_\Lambda \le \beta`
        (paper-specific: PEVI ``c d H sqrt(zeta)``, LinPEVI-ADV+ ``O~(sqrt d)``).

    Returns
    -------
    ndarray, shape (S, A) or (H, S, A)

    Guarantee
    ---------
    Cauchy-Schwarz in the :math:`\Lambda` inner product: on the event
    :math:`\|\hat w - w\|_\Lambda \le \beta`, :math:`|\phi^\top \hat w - \phi^\top w| \le
    \beta \|\phi\|_{\Lambda^{-1}}` for every :math:`\phi` (Abbasi-Yadkori et al. 2011, Thm 2;
    Jin et al. 2021, PEVI's ``Gamma_h`` [V3]).
    """
    beta = check_positive_float("beta", beta, allow_zero=True)
    return beta * elliptical_norms(phi, gram)


def ucbvi_log_term(n_states: int, n_actions: int, n_episodes: int, horizon: int,
                   delta: float) -> float:
    r"""Azar et al.'s ``L = ln(5 S A T / delta)`` with ``T = K H`` [V3].

    Parameters
    ----------
    n_states, n_actions, n_episodes, horizon : int
        ``S, A, K, H``.
    delta : float
        Failure probability in (0, 1).

    Returns
    -------
    float

    References
    ----------
    Azar, Osband, Munos (2017), Algorithm 1 (UCBVI) and Algorithms 3-4 (bonus_1, bonus_2).
    """
    n_states = check_positive_int("n_states", n_states)
    n_actions = check_positive_int("n_actions", n_actions)
    n_episodes = check_positive_int("n_episodes", n_episodes)
    horizon = check_positive_int("horizon", horizon)
    delta = check_delta(delta)
    return math.log(5.0 * n_states * n_actions * n_episodes * horizon / delta)


# ----------------------------------------------------------------------------------------------
# numba scalars for kernels (no validation: kernels assume valid input, docs/explanation/conventions.md section 4)
# ----------------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def ucbvi_hoeffding_bonus(H, L, n):
    r"""UCBVI-CH's ``bonus_1`` :math:`b = 7 H L \sqrt{1/n}` (``n >= 1``).

    Parameters
    ----------
    H : float
        Horizon (as a float).
    L : float
        :func:`ucbvi_log_term`.
    n : int
        Visits of the pair.

    Returns
    -------
    float

    References
    ----------
    Azar, Osband, Munos (2017), Algorithm 2 (UCB-Q-values) with bonus_1 (Algorithm 3),
    constant 7 [V3].
    """
    return 7.0 * H * L * math.sqrt(1.0 / n)


@njit(cache=True, inline="always")
def ucbvi_bernstein_core(L, var, n, H):
    r"""First two terms of UCBVI-BF's ``bonus_2``.

    .. math:: \sqrt{8 L \mathrm{Var} / n} + 14 H L / (3 n).

    Parameters
    ----------
    L : float
        :func:`ucbvi_log_term`.
    var : float
        :math:`\mathrm{Var}_{\hat P(\cdot|s,a)}(V_{k,h+1}) \ge 0` (empirical variance of the
        next value).
    n : int
        Visits of the pair (``>= 1``).
    H : float
        Horizon.

    Returns
    -------
    float
        The caller adds the third term
        :math:`\sqrt{8 \sum_y \hat P(y) \min(100^2 H^3 S^2 A L^2 / N'(y), H^2) / n}`.

    References
    ----------
    Azar, Osband, Munos (2017), Algorithm 2 with bonus_2 (Algorithm 4), constants 8 and 14/3
    [V3] (empirical Bernstein, cf. Maurer & Pontil 2009).
    """
    inv = 1.0 / n
    return math.sqrt(8.0 * L * var * inv) + 14.0 * H * L * inv / 3.0


@njit(cache=True, inline="always")
def weissman_l1_width(w_conf, n):
    r"""Weissman L1 half-width :math:`\sqrt{w / n}` with ``w`` from :func:`weissman_l1_log_term`.

    Parameters
    ----------
    w_conf : float
        ``2 (S ln 2 + ln(n_union / delta))``.
    n : int
        Sample size (``>= 1``).

    Returns
    -------
    float

    Guarantee
    ---------
    Weissman et al. (2003), Thm 2.1 [V3]; see :func:`weissman_l1_log_term`.
    """
    return math.sqrt(w_conf * (1.0 / n))


# ----------------------------------------------------------------------------------------------
# linear offline RL: PEVI / LinPEVI-ADV+ / PNLSVI radii and the variance correction
# ----------------------------------------------------------------------------------------------
def linear_log_term(dim: int, horizon: int, n_episodes: int, delta: float) -> float:
    r""":math:`\zeta = \ln(2 d H K / \delta)`, the log factor of PEVI's radius.

    Jin, Yang, Wang (2021), Theorem 4.4 (linear MDP): :math:`\beta = c\, d H \sqrt\zeta`,
    :math:`\zeta = \log(2 d H K / \xi)` [V3].  rlth reuses the same :math:`\zeta` as the log
    factor hidden in the :math:`\tilde O(\cdot)` of LinPEVI-ADV+ and PNLSVI [R].
    """
    d = check_positive_int("dim", dim)
    H = check_positive_int("horizon", horizon)
    K = check_positive_int("n_episodes", n_episodes)
    delta = check_delta(delta)
    return math.log(2.0 * d * H * K / delta)


def pevi_beta(dim: int, horizon: int, n_episodes: int, delta: float, *, c: float = 1.0) -> float:
    r"""PEVI's radius :math:`\beta = c\, d H \sqrt{\zeta}` (Jin, Yang, Wang 2021, Thm 4.4).

    The form is [V3]; the paper's ``c > 0`` is an unspecified absolute constant, ``c = 1`` is
    rlth's default [R] (``c`` is the named knob, ``beta_scale`` in the algorithms).
    """
    c = check_positive_float("c", c)
    return c * dim * horizon * math.sqrt(linear_log_term(dim, horizon, n_episodes, delta))


def sqrt_d_beta(dim: int, horizon: int, n_episodes: int, delta: float, *,
                c: float = 1.0) -> float:
    r"""The :math:`\tilde O(\sqrt d)` radius :math:`c \sqrt{d\, \zeta}` of LinPEVI-ADV+
    (Xiong et al. 2023, :math:`\beta = O(\sqrt d)` [V3]) and of PNLSVI's weighted pass on the
    linear class (Di et al. 2024, Thm 5.1: :math:`\beta_h = \tilde O(\sqrt{\log N})` with
    :math:`\log N = \tilde O(d)`, Remark 5.2 [V]).  The constant and the log are [R]
    (``c = 1``, :math:`\zeta` of :func:`linear_log_term`).
    """
    c = check_positive_float("c", c)
    return c * math.sqrt(dim * linear_log_term(dim, horizon, n_episodes, delta))


#: The two printed forms of PNLSVI's variance correction (Alg. 1 line 7 vs eq. (6.1)).
VARIANCE_CORRECTION_FORMS = ("sqrt_Kkappa", "sqrtK_kappa")


def variance_correction(log_cover: float, horizon: int, n_episodes: int, kappa: float, *,
                        form: str = "sqrt_Kkappa", scale: float = 1.0) -> float:
    r"""The amount subtracted from the variance estimate (PNLSVI Alg. 1 line 7).

    .. math::
        c_{\sigma} = \mathrm{scale} \cdot \sqrt{\log(N N_b)}\, H^3 /
        \begin{cases} \sqrt{K\kappa} & \text{form "sqrt_Kkappa" (eq. (6.1), §6.1) [V]}\\
                       \sqrt K\, \kappa & \text{form "sqrtK_kappa" (Alg. 1 line 7) [V]}
        \end{cases}

    The two forms are both printed in the paper (an internal inconsistency; the default is
    (6.1), from which Lemma 6.3 is proved).  The absolute constant is not given (``scale = 1``
    is rlth's "paper" mode [R]; other values are the named scaled mode).  LinPEVI-ADV+ uses
    :math:`\tilde O(d H^3 / \sqrt{K \kappa})` [V3]: pass ``log_cover = d**2``.

    Parameters
    ----------
    log_cover : float
        :math:`\log(N N_b) \ge 0` (linear class: ``2 d zeta`` [D], see the PNLSVI module).
    horizon, n_episodes : int
    kappa : float
        Uniform coverage constant ``> 0`` (:func:`rlth.estimators.linear.coverage_kappa`).
    form : {"sqrt_Kkappa", "sqrtK_kappa"}
    scale : float
        ``>= 0``.
    """
    log_cover = check_positive_float("log_cover", log_cover, allow_zero=True)
    H = check_positive_int("horizon", horizon)
    K = check_positive_int("n_episodes", n_episodes)
    kappa = check_positive_float("kappa", kappa)
    scale = check_positive_float("scale", scale, allow_zero=True)
    if form not in VARIANCE_CORRECTION_FORMS:
        raise ValueError(f"form: must be one of {VARIANCE_CORRECTION_FORMS}, got {form!r}")
    den = math.sqrt(K * kappa) if form == "sqrt_Kkappa" else math.sqrt(K) * kappa
    return scale * math.sqrt(log_cover) * H ** 3 / den
