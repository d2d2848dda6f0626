"""Log-log rate fits with bootstrap confidence intervals, bound comparisons and verdicts.

For a :class:`rlth.experiment.Check` the records of a sweep are grouped by sweep point (the
points matching ``check.where``); at each point the replicate-mean ``m_i`` of the metric is
taken, divided by ``check.normalize`` if given, and the least-squares line

    log m_i = a + b log x_i

is fitted over the points inside ``check.fit_window`` and the theorem's regime (``x`` is the point
parameter ``check.x``, mapped by ``check.x_transform`` if given; points with ``m_i <= 0`` cannot be
fitted and are dropped and counted).  The slope ``b`` gets a percentile bootstrap CI: the
replicates of every point are resampled with replacement, the means recomputed and the line refit
(``n_boot`` times, level 95%).

Verdict (first rule that applies; ``p`` predicted exponent, ``t`` the theorem's tolerance)
--------------------------------------------------------------------------------------------
1. NOT-IN-REGIME: the theorem/check gives a regime predicate and no point satisfies it.
2. INCONCLUSIVE: (slope checks) fewer than 3 fitted points, or the fitted ``x`` spans < 1.5
   decades, or (a check with ``burn_in_metric``) no point lies past ``burn_in_factor`` times the
   measured burn-in.  A level check (no predicted exponent: ``bound`` or ``compare_with``) is
   judged point by point and needs no slope: PASS, FAIL or VACUOUS-BOUND.
3. FAIL: the explicit bound is violated (``upper``: some mean above ``bound``; ``lower``: some mean
   below it), or a ``compare_with`` level is violated by more than 3 standard errors of the
   difference, or the exact ``reference`` disagrees with a mean by more than 5.5 standard errors, or
   the *whole* slope CI lies outside the accepted slopes (a clear violation is a FAIL however wide
   the CI is).
4. INCONCLUSIVE: the slope CI is wider than 0.2.
5. FAIL: ``rate``: the CI misses ``[p - t, p + t]``; ``upper``: slope > ``p + t``;
   ``lower``: slope < ``p - t``.
6. VACUOUS-BOUND: the explicit bound exceeds the quantity's trivial maximum at every point.
7. PASS.

Statistics: what a theorem claims (``Theorem.statistic``, ``Check.statistic`` overrides)
-----------------------------------------------------------------------------------------
The rules above are stated for ``"mean"`` (in expectation: the replicate-mean is fitted and
compared).  The other statistics change what is fitted and how the explicit bound is compared;
the slope rules (2, 3 on the slope CI, 4, 5) are the same.  ``delta`` is the point's ``delta``
parameter, else ``Theorem.delta``.

* ``"quantile"`` (with probability >= 1 - delta): at each point the empirical ``p``-quantile of
  the replicates (``numpy.quantile``, linear interpolation), ``p = 1 - delta`` for kind
  ``upper`` / ``rate`` and ``p = delta`` for ``lower``, with the distribution-free
  order-statistic CI ``[X_(l), X_(u)]`` (:func:`quantile_ci`: ``Pr(Bin(n, p) < l) <= a/2``,
  ``Pr(Bin(n, p) >= u) <= a/2``, ``a = 1 - QUANTILE_CI_LEVEL = 0.05``; an end that no ``n``
  replicates can give is infinite).  The slope of log-quantile against log x gets the same
  percentile bootstrap (quantiles recomputed on every resample).  The bound is compared with the
  quantile's CI at every point in the regime: ``upper`` FAIL if the lower CI end is above the
  bound (``lower``: the upper end below it); the point respects the bound only if the upper CI
  end is at or below it (``lower``: the lower end at or above); otherwise the point is undecided
  and the verdict, which would otherwise be PASS (or a bound-only PASS), is INCONCLUSIVE with the
  reason (and, for an infinite end, the replicates needed: :func:`replicates_needed`).
  ``compare_with`` is not available.
* ``"fraction"`` (in every run / a fraction of runs): the metric must be 0/1 per replicate and
  its mean is the fraction.  The bound is compared with a one-sided Clopper-Pearson 95% CI:
  ``lower`` FAIL only if the upper CI end of the fraction is below the bound (``upper``: only if
  the lower end is above it); otherwise the bound counts as respected.
* ``"exact"`` (a deterministic quantity): the replicates at every point must be identical, else
  FAIL ("not deterministic"); then judged as ``"mean"``.
* ``"sample_complexity"`` (a PAC statement N(eps, delta) with ``sweep_variable`` 1/eps and
  ``exponent`` the exponent of N in 1/eps): the check's ``x`` is the sample-size parameter and
  ``metric`` the bounded quantity; for each eps of ``Check.eps_grid`` N(eps) is the smallest
  sample size at which the (1 - delta)-quantile falls (and stays) at or below eps, interpolated
  log-log between grid points, with a CI from inverting the quantile's CI curves
  (:func:`sample_complexity_curve`); eps not crossed inside the grid are dropped and counted in the
  reason.  The line log N(eps) = a + b log(1/eps) is fitted with a bootstrap CI (replicates
  resampled per point, the whole N(eps) curve recomputed, refit; resamples leaving a kept eps
  uncrossed are excluded) and rules 2-7 apply with x = 1/eps: at least 3 crossed eps spanning
  1.5 decades of 1/eps, else INCONCLUSIVE (the usual rule, kept: an eps grid narrower than 1.5
  decades cannot PASS).  An explicit ``bound`` is ``N_bound(1/eps, **params)`` (params of the first
  point, without ``x``): ``upper`` FAIL if the lower CI end of N(eps) exceeds it at some eps,
  respected where the upper end is at or below it, else undecided (INCONCLUSIVE as for
  quantiles); the reason reports the largest ratio N(eps)/N_bound (``lower``: the smallest).
  ``normalize``, ``x_transform``, ``compare_with`` and ``burn_in_metric`` are not available; the
  regime predicate is evaluated at x = 1/eps.

The exact ``reference`` (rule 3) is an expected value: it is compared with replicate *means*
only (statistics ``"mean"`` and ``"exact"``) and ignored otherwise.  A check's statistic must be
at least as strong as its theorem's (:data:`STATISTIC_ACCEPTS`, :func:`statistic_problems`).  The
verdict table and CSV show a non-mean statistic in the ``kind`` column (``upper/quantile 0.9``,
``lower/fraction``), so mean checks keep their rows unchanged.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .store import point_key

__all__ = ["SlopeFit", "CheckResult", "fit_slope", "bootstrap_slopes", "aggregate",
           "evaluate_check", "evaluate_experiment", "format_table", "write_verdicts_csv", "VERDICTS",
           "MIN_POINTS", "MIN_DECADES", "MAX_CI_WIDTH", "REFERENCE_Z",
           "COMPARE_Z", "QUANTILE_CI_LEVEL", "FRACTION_CI_LEVEL", "STATISTIC_ACCEPTS",
           "quantile_ci", "replicates_needed", "fraction_ci", "quantile_level",
           "sample_complexity_curve", "fit_sample_complexity", "effective_statistic",
           "statistic_problems"]

VERDICTS = ("PASS", "FAIL", "VACUOUS-BOUND", "NOT-IN-REGIME", "INCONCLUSIVE")
MIN_POINTS = 3          # fewer fitted points: INCONCLUSIVE
MIN_DECADES = 1.5       # fit window narrower (in decades of the fitted x): INCONCLUSIVE
MAX_CI_WIDTH = 0.2      # slope CI wider: INCONCLUSIVE (unless a clear FAIL)
REFERENCE_Z = 5.5       # |mean - exact reference| allowed, in standard errors (two-sided 3.8e-8)
COMPARE_Z = 3.0         # compare_with: one-sided z of a level violation against another curve
QUANTILE_CI_LEVEL = 0.95  # order-statistic CI of a quantile (a = 0.05, a/2 on each side)
FRACTION_CI_LEVEL = 0.95  # one-sided Clopper-Pearson CI of a fraction


@dataclass(frozen=True)
class SlopeFit:
    """A log-log least-squares fit with a bootstrap CI on the slope.

    Attributes
    ----------
    slope, intercept : float
        ``log y = intercept + slope * log x`` (natural logs).
    ci_low, ci_high : float
        Percentile bootstrap interval of the slope at ``level``.
    x, y : ndarray
        The fitted points (sweep variable, normalized replicate-mean).
    decades : float
        ``log10(max x / min x)``.
    n_boot, level : int, float
    n_invalid_boot : int
        Bootstrap resamples with a non-positive mean at some point (excluded).
    """

    slope: float
    intercept: float
    ci_low: float
    ci_high: float
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    decades: float
    n_boot: int
    level: float
    n_invalid_boot: int = 0

    @property
    def ci_width(self) -> float:
        return self.ci_high - self.ci_low


def _ols_slopes(lx: np.ndarray, ly: np.ndarray):
    """Slopes and intercepts of OLS fits of each row of ``ly`` [..., n] on ``lx`` [n]."""
    xc = lx - lx.mean()
    sxx = float(xc @ xc)
    slope = (ly - ly.mean(axis=-1, keepdims=True)) @ xc / sxx
    intercept = ly.mean(axis=-1) - slope * lx.mean()
    return slope, intercept


def _bootstrap_stat(values: np.ndarray, n_boot: int, rng, stat) -> np.ndarray:
    """``stat(resamples, axis=1)`` of ``n_boot`` resamples, drawn in blocks of <= 4e6 values."""
    n = values.shape[0]
    out = np.empty(n_boot)
    block = max(1, min(n_boot, 4_000_000 // max(n, 1)))
    for start in range(0, n_boot, block):
        stop = min(n_boot, start + block)
        idx = rng.integers(0, n, size=(stop - start, n))
        out[start:stop] = stat(values[idx])
    return out


def _bootstrap_means(values: np.ndarray, n_boot: int, rng) -> np.ndarray:
    return _bootstrap_stat(values, n_boot, rng, lambda v: v.mean(axis=1))


def _bootstrap_quantiles(values: np.ndarray, level: float, n_boot: int, rng) -> np.ndarray:
    return _bootstrap_stat(values, n_boot, rng, lambda v: np.quantile(v, level, axis=1))


def _levels_array(quantile, n: int) -> np.ndarray:
    lv = np.broadcast_to(np.asarray(quantile, dtype=np.float64), (n,)).copy()
    if not np.all((lv > 0) & (lv < 1)):
        raise ValueError(f"quantile: levels must lie in (0, 1), got {quantile!r}")
    return lv


def bootstrap_slopes(x, samples: Sequence[np.ndarray], *, factors=None, n_boot: int = 2000,
                     rng=0, quantile=None) -> np.ndarray:
    """Bootstrap distribution of the log-log slope (NaN where a resampled mean is <= 0).

    Parameters
    ----------
    x : array [n]
        Sweep variable (positive).
    samples : sequence of n arrays
        Replicate values at each point.
    factors : array [n], optional
        Normalization: the mean is divided by it before taking logs.
    n_boot : int
    rng : seed
    quantile : float or array [n], optional
        Fit the empirical quantile at this level (per point) instead of the mean
        (``numpy.quantile``, linear interpolation); NaN where a resampled quantile is <= 0.
    """
    from ._rng import as_generator
    rng = as_generator(rng)
    lx = np.log(np.asarray(x, dtype=np.float64))
    fac = np.ones(len(samples)) if factors is None else np.asarray(factors, dtype=np.float64)
    if quantile is None:
        means = np.stack([_bootstrap_means(np.asarray(s, dtype=np.float64), n_boot, rng)
                          for s in samples], axis=1) / fac        # [B, n]
    else:
        lv = _levels_array(quantile, len(samples))
        means = np.stack([_bootstrap_quantiles(np.asarray(s, dtype=np.float64), lv[i], n_boot,
                                               rng) for i, s in enumerate(samples)], axis=1) / fac
    with np.errstate(divide="ignore", invalid="ignore"):
        ly = np.where(means > 0, np.log(np.where(means > 0, means, 1.0)), np.nan)
    slopes, _ = _ols_slopes(lx, ly)
    return slopes


def fit_slope(x, samples: Sequence[np.ndarray], *, factors=None, n_boot: int = 2000,
              level: float = 0.95, rng=0, quantile=None) -> SlopeFit:
    """Fit ``log mean = a + b log x`` and a percentile bootstrap CI for ``b``.

    Parameters
    ----------
    x : array [n]
        Positive sweep variable, ``n >= 2`` distinct values.
    samples : sequence of n 1-D arrays
        Replicates per point (means must be positive after division by ``factors``).
    factors : array [n], optional
        Normalization factors.
    n_boot : int
        Bootstrap resamples (replicates resampled with replacement within each point).
    level : float
        CI level.
    rng : seed
        Seed of the bootstrap (fixed by default so verdicts are reproducible).
    quantile : float or array [n], optional
        Fit the empirical ``quantile``-quantile of the replicates at each point (``numpy.quantile``,
        linear interpolation) instead of their mean; the bootstrap recomputes the quantiles.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([10., 100., 1000.])
    >>> f = fit_slope(x, [np.full(3, v) for v in 2 * x ** -0.5])
    >>> round(f.slope, 12), round(f.ci_low, 12), round(f.ci_high, 12)
    (-0.5, -0.5, -0.5)
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or len(x) != len(samples):
        raise ValueError("x: must be 1-D with one entry per sample array")
    if len(x) < 2 or np.any(x <= 0) or np.unique(x).size < 2:
        raise ValueError("x: need >= 2 distinct positive values")
    if not 0 < level < 1:
        raise ValueError(f"level: must be in (0, 1), got {level}")
    if n_boot < 1:
        raise ValueError(f"n_boot: must be >= 1, got {n_boot}")
    fac = np.ones(len(x)) if factors is None else np.asarray(factors, dtype=np.float64)
    if quantile is None:
        means = np.array([np.mean(s) for s in samples]) / fac
    else:
        lv = _levels_array(quantile, len(x))
        means = np.array([np.quantile(np.asarray(s, dtype=np.float64), lv[i])
                          for i, s in enumerate(samples)]) / fac
    if np.any(~(means > 0)):
        what = "mean" if quantile is None else "quantile"
        raise ValueError(f"samples: every (normalized) {what} must be positive to take logs")
    lx, ly = np.log(x), np.log(means)
    slope, intercept = _ols_slopes(lx, ly)
    boots = bootstrap_slopes(x, samples, factors=fac, n_boot=n_boot, rng=rng, quantile=quantile)
    valid = boots[np.isfinite(boots)]
    alpha = (1 - level) / 2
    if valid.size:
        lo, hi = np.quantile(valid, [alpha, 1 - alpha])
    else:  # pragma: no cover - every resample had a zero mean
        lo, hi = -np.inf, np.inf
    return SlopeFit(float(slope), float(intercept), float(lo), float(hi), x, means,
                    float(np.log10(x.max() / x.min())), int(n_boot), float(level),
                    int(boots.size - valid.size))


# --------------------------------------------------------------------------------------------

def _matches(point: dict, where) -> bool:
    for k, v in dict(where).items():
        if k not in point:
            return False
        pv = point[k]
        if isinstance(v, float) or isinstance(pv, float):
            try:
                if not math.isclose(float(pv), float(v), rel_tol=1e-12, abs_tol=0.0):
                    return False
            except (TypeError, ValueError):
                return False
        elif point_key(pv) != point_key(v):
            return False
    return True


def aggregate(records: Sequence[dict], metric: str, x: str, where=None) -> list[tuple]:
    """Group records by point: ``[(x_value, point, values[n_rep])]`` sorted by ``x``.

    Only points matching ``where`` and having ``metric``.  Raises ``ValueError`` if two distinct
    points share an ``x`` (``where`` must pin the other parameters).
    """
    groups: dict[str, tuple[dict, list]] = {}
    for rec in records:
        p = rec["point"]
        if x not in p or not _matches(p, where or {}):
            continue
        if metric not in rec["metrics"]:
            raise ValueError(f"metric: {metric!r} is not in the records (have "
                             f"{sorted(rec['metrics'])})")
        groups.setdefault(point_key(p), (p, []))[1].append(rec["metrics"][metric])
    rows = sorted(((float(p[x]), p, np.asarray(v, dtype=np.float64))
                   for p, v in groups.values()), key=lambda r: r[0])
    xs = [r[0] for r in rows]
    if len(set(xs)) != len(xs):
        dup = next(v for v in xs if xs.count(v) > 1)
        raise ValueError(f"where: several points have {x}={dup}; pin the other parameters "
                         f"in the check's 'where'")
    return rows


def _call(fn, xval, params):
    """Call ``fn(x, **params)`` passing only the parameters it accepts."""
    sig = inspect.signature(fn)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()):
        kw = dict(params)
    else:
        names = list(sig.parameters)[1:]
        kw = {k: v for k, v in params.items() if k in names}
    return fn(xval, **kw)


def _accept_interval(kind, p, t):
    if kind == "rate":
        return p - t, p + t
    if kind == "upper":
        return -np.inf, p + t
    return p - t, np.inf


# -------------------------------------------------------------------------------------------
# statistics of high-probability claims

#: A check's statistic must be one of these for a theorem of the key's statistic (at least as
#: strong: a deterministic "exact" check implies every other claim about the same quantity, a
#: high-probability claim is stronger than one in expectation; "sample_complexity" measures the
#: exponent in 1/eps and so only fits a sample-complexity theorem).
STATISTIC_ACCEPTS = {
    "mean": ("mean", "quantile", "fraction", "exact"),
    "quantile": ("quantile", "exact"),
    "fraction": ("fraction", "exact"),
    "exact": ("exact",),
    "sample_complexity": ("sample_complexity",),
}


def replicates_needed(p: float, side: str, level: float = QUANTILE_CI_LEVEL) -> int:
    """Smallest replicate count for which the order-statistic CI of the ``p``-quantile has a
    finite ``side`` (``"low"`` or ``"high"``) end at ``level``.

    The upper end is finite iff ``Pr(Bin(n, p) >= n) = p^n <= (1 - level) / 2`` (the lower end:
    ``(1 - p)^n <= (1 - level) / 2``).

    Examples
    --------
    >>> replicates_needed(0.9, "high"), replicates_needed(0.9, "low")
    (36, 2)
    """
    if not 0 < p < 1:
        raise ValueError(f"p: must be in (0, 1), got {p!r}")
    if side not in ("low", "high"):
        raise ValueError(f"side: must be 'low' or 'high', got {side!r}")
    a2 = (1 - level) / 2
    base = p if side == "high" else 1 - p
    n = max(1, int(math.ceil(math.log(a2) / math.log(base))))
    while base ** n > a2:            # guard against rounding of the logarithms
        n += 1
    while n > 1 and base ** (n - 1) <= a2:
        n -= 1
    return n


def quantile_ci(values, p: float, level: float = QUANTILE_CI_LEVEL) -> tuple[float, float, float]:
    """Empirical ``p``-quantile and its distribution-free order-statistic CI.

    Returns ``(q, lo, hi)``: ``q = numpy.quantile(values, p)`` (linear interpolation) and the CI
    ``[X_(l), X_(u)]`` of the sorted replicates with ``l`` the largest index such that
    ``Pr(Bin(n, p) < l) <= a/2`` and ``u`` the smallest with ``Pr(Bin(n, p) >= u) <= a/2``
    (``a = 1 - level``); it covers the true quantile with probability >= ``level`` for a
    continuous distribution (at least ``1 - a`` for any distribution up to ties).  When ``n`` is
    too small for such an ``l`` (``u``) that end is ``-inf`` (``+inf``): see
    :func:`replicates_needed`.

    Examples
    --------
    >>> import numpy as np
    >>> q, lo, hi = quantile_ci(np.arange(1.0, 101.0), 0.5)
    >>> float(q), float(lo), float(hi)
    (50.5, 40.0, 61.0)
    >>> quantile_ci(np.arange(10.0), 0.9)[2]
    inf
    """
    from scipy.stats import binom
    v = np.sort(np.asarray(values, dtype=np.float64).ravel())
    n = v.size
    if n == 0:
        raise ValueError("values: need at least one replicate")
    if not 0 < p < 1:
        raise ValueError(f"p: must be in (0, 1), got {p!r}")
    a2 = (1 - level) / 2
    k = np.arange(n)                                    # l - 1 (resp. u - 1) = 0 .. n-1
    l_count = int(np.sum(binom.cdf(k, n, p) <= a2))     # l = largest with cdf(l-1) <= a/2
    u = int(np.sum(binom.sf(k, n, p) > a2)) + 1         # u = smallest with sf(u-1) <= a/2
    lo = float(v[l_count - 1]) if l_count >= 1 else -np.inf
    hi = float(v[u - 1]) if u <= n else np.inf
    return float(np.quantile(v, p)), lo, hi


def fraction_ci(successes: int, n: int, side: str, level: float = FRACTION_CI_LEVEL) -> float:
    """One-sided Clopper-Pearson bound of a binomial fraction: the ``"high"`` (upper) end or
    the ``"low"`` (lower) end at ``level``.

    Examples
    --------
    >>> fraction_ci(20, 20, "high"), round(fraction_ci(20, 20, "low"), 4)
    (1.0, 0.8609)
    """
    from scipy.stats import beta
    k, n = int(successes), int(n)
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"successes: need 0 <= successes <= n and n >= 1, got {k} of {n}")
    if side == "high":
        return 1.0 if k == n else float(beta.ppf(level, k + 1, n - k))
    if side == "low":
        return 0.0 if k == 0 else float(beta.ppf(1 - level, k, n - k + 1))
    raise ValueError(f"side: must be 'low' or 'high', got {side!r}")


def _crossing(x: np.ndarray, q: np.ndarray, eps: float, side: str):
    """N at which each row of ``q`` [B, n] falls (and stays) at or below ``eps``, log-log
    interpolated; returns ``(N [B], status [B])`` with status 0 crossed, -1 already below at
    ``x[0]``, +1 never below (then ``N`` is NaN)."""
    lx = np.log(x)
    below = q <= eps
    stays = np.flip(np.cumprod(np.flip(below, axis=1), axis=1), axis=1).astype(bool)
    has = stays.any(axis=1)
    j = np.argmax(stays, axis=1)
    status = np.where(~has, 1, np.where(j == 0, -1, 0))
    jj = np.clip(j, 1, len(x) - 1)
    r = np.arange(q.shape[0])
    q1, q2 = q[r, jj - 1], q[r, jj]
    with np.errstate(divide="ignore", invalid="ignore"):
        ln = lx[jj - 1] + (np.log(eps) - np.log(q1)) * (lx[jj] - lx[jj - 1]) / \
            (np.log(q2) - np.log(q1))
    # a quantile <= 0 below, or an infinite one above the crossing: no log-log interpolation,
    # use the bracketing grid size on the conservative side of this curve
    degenerate = ~(np.isfinite(q1) & (q2 > 0) & np.isfinite(ln))
    fallback = lx[jj - 1] if side == "low" else lx[jj]
    ln = np.where(degenerate, fallback, ln)
    n_out = np.where(status == 0, np.exp(ln), np.nan)
    return n_out, status


def sample_complexity_curve(x, samples: Sequence[np.ndarray], eps_grid, level: float,
                            ci_level: float = QUANTILE_CI_LEVEL) -> dict:
    """Measured sample complexity N(eps): the smallest sample size at which the ``level``-quantile
    of the replicates falls below eps.

    Parameters
    ----------
    x : array [n]
        Sample sizes of the sweep points (distinct, positive; sorted here).
    samples : sequence of n arrays
        Replicate values of the bounded quantity at each sample size.
    eps_grid : sequence of float
        Accuracies.
    level : float
        Quantile level (``1 - delta``).
    ci_level : float
        Level of the order-statistic CIs of the quantiles (:func:`quantile_ci`).

    Returns
    -------
    dict
        ``eps`` (sorted decreasing, so ``inv_eps = 1/eps`` increases), ``inv_eps``, ``N``,
        ``N_low``, ``N_high`` (arrays over ``eps``; NaN where dropped), ``kept`` (bool mask),
        ``dropped`` (the eps not crossed inside the grid), ``dropped_small`` (eps never reached:
        N(eps) > max x), ``dropped_large`` (eps reached already at min x), and per sample size
        ``x``, ``quantile``, ``q_low``, ``q_high``.

    Rules: ``N(eps)`` is found on the quantile curve: the first grid index ``j`` from which the
    quantile stays ``<= eps`` (a non-monotone curve crossing eps several times gives the last
    upward-to-downward crossing after which it stays below), interpolated linearly in
    ``log q`` against ``log N`` between ``x[j-1]`` and ``x[j]``.  Where the quantile at ``x[j]``
    is ``<= 0`` (no logarithm) ``N(eps) = x[j]``.  ``N_high`` is the same inversion of the upper
    CI curve of the quantile (``+inf`` if that curve never falls below eps inside the grid, an
    infinite CI end counts as above eps), ``N_low`` that of the lower CI curve (``0`` if that
    curve is below eps already at ``x[0]``; with no log-log interpolation it takes ``x[j-1]``).
    An eps is dropped when the point-estimate curve does not cross it inside the grid.

    Examples
    --------
    >>> import numpy as np
    >>> xs = np.array([100., 1000., 10000.])
    >>> c = sample_complexity_curve(xs, [np.full(5, 2 * v ** -0.5) for v in xs], [0.05], 0.9)
    >>> round(float(c["N"][0]), 6)
    1600.0
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or len(x) != len(samples) or len(x) < 2:
        raise ValueError("x: must be 1-D with one entry per sample array and >= 2 entries")
    if np.any(~(x > 0)) or np.unique(x).size != x.size:
        raise ValueError("x: sample sizes must be distinct and positive")
    if not 0 < level < 1:
        raise ValueError(f"level: must be in (0, 1), got {level!r}")
    eps = np.asarray(eps_grid, dtype=np.float64).ravel()
    if eps.size == 0 or np.any(~(eps > 0)) or np.any(~np.isfinite(eps)):
        raise ValueError(f"eps_grid: must be positive finite numbers, got {eps_grid!r}")
    order = np.argsort(x)
    x = x[order]
    samples = [np.asarray(samples[i], dtype=np.float64) for i in order]
    eps = np.sort(eps)[::-1]
    qs = np.array([quantile_ci(s, level, ci_level) for s in samples])       # [n, 3]
    out = {"eps": eps, "inv_eps": 1.0 / eps, "x": x, "quantile": qs[:, 0], "q_low": qs[:, 1],
           "q_high": qs[:, 2], "level": float(level)}
    n_mid, n_lo, n_hi = (np.empty(eps.size) for _ in range(3))
    status = np.empty(eps.size, int)
    for k, e in enumerate(eps):
        nm, st = _crossing(x, qs[None, :, 0], e, "mid")
        nl, stl = _crossing(x, qs[None, :, 1], e, "low")
        nh, sth = _crossing(x, qs[None, :, 2], e, "high")
        n_mid[k], status[k] = nm[0], st[0]
        n_lo[k] = 0.0 if stl[0] == -1 else nl[0]
        n_hi[k] = np.inf if sth[0] == 1 else (x[0] if sth[0] == -1 else nh[0])
    kept = status == 0
    n_lo = np.where(kept, n_lo, np.nan)
    n_hi = np.where(kept, n_hi, np.nan)
    out.update(N=n_mid, N_low=n_lo, N_high=n_hi, kept=kept,
               dropped=tuple(float(e) for e in eps[~kept]),
               dropped_small=tuple(float(e) for e in eps[status == 1]),
               dropped_large=tuple(float(e) for e in eps[status == -1]))
    return out


def _nan_ols_slopes(lx: np.ndarray, ly: np.ndarray) -> np.ndarray:
    """OLS slope of each row of ``ly`` [B, m] on ``lx`` [m]; NaN for a row with a NaN."""
    slopes, _ = _ols_slopes(lx, ly)
    return np.where(np.all(np.isfinite(ly), axis=1), slopes, np.nan)


def fit_sample_complexity(x, samples: Sequence[np.ndarray], eps_grid, level: float, *,
                          n_boot: int = 2000, ci_level: float = 0.95, rng=0):
    """Fit ``log N(eps) = a + b log(1/eps)`` over the eps crossed inside the grid.

    Returns ``(fit, curve)``: a :class:`SlopeFit` (``x`` = 1/eps, ``y`` = N(eps); ``None`` with
    fewer than 2 crossed eps) and :func:`sample_complexity_curve`'s dict.  The slope's CI is a
    percentile bootstrap: the replicates of every sample size are resampled with replacement,
    the quantiles recomputed, the whole N(eps) curve re-inverted and the line refit; a resample
    in which some kept eps is not crossed inside the grid gives no slope (counted in
    ``n_invalid_boot``).
    """
    from ._rng import as_generator
    curve = sample_complexity_curve(x, samples, eps_grid, level)
    kept = curve["kept"]
    if kept.sum() < 2:
        return None, curve
    eps = curve["eps"][kept]
    inv = 1.0 / eps
    lx = np.log(inv)
    ly = np.log(curve["N"][kept])
    slope, intercept = _ols_slopes(lx, ly)
    rng = as_generator(rng)
    xs = curve["x"]
    order = np.argsort(np.asarray(x, dtype=np.float64))
    srt = [np.asarray(samples[i], dtype=np.float64) for i in order]
    qb = np.stack([_bootstrap_quantiles(s, level, n_boot, rng) for s in srt], axis=1)  # [B, n]
    nb = np.stack([_crossing(xs, qb, e, "mid")[0] for e in eps], axis=1)              # [B, m]
    with np.errstate(divide="ignore", invalid="ignore"):
        boots = _nan_ols_slopes(lx, np.log(nb))
    valid = boots[np.isfinite(boots)]
    a = (1 - ci_level) / 2
    lo, hi = (np.quantile(valid, [a, 1 - a]) if valid.size else (-np.inf, np.inf))
    fit = SlopeFit(float(slope), float(intercept), float(lo), float(hi), inv,
                   curve["N"][kept], float(np.log10(inv.max() / inv.min())), int(n_boot),
                   float(ci_level), int(boots.size - valid.size))
    return fit, curve


def _point_delta(th, point: dict, who: str):
    d = point.get("delta", getattr(th, "delta", None))
    if d is None:
        raise ValueError(f"delta: {who} needs a failure probability: set Theorem.delta of "
                         f"{th.id!r} or a 'delta' sweep parameter")
    d = float(d)
    if not 0 < d < 1:
        raise ValueError(f"delta: must be in (0, 1), got {d!r} ({who})")
    return d


def quantile_level(kind: str, delta: float) -> float:
    """The quantile a high-probability statement bounds: ``1 - delta`` for an ``upper`` (or
    ``rate``) claim, ``delta`` for a ``lower`` one.

    >>> quantile_level("upper", 0.1), quantile_level("lower", 0.1)
    (0.9, 0.1)
    """
    return delta if kind == "lower" else 1.0 - delta


def effective_statistic(check, theorem) -> str:
    """The statistic a check judges: its own, else its theorem's."""
    st = getattr(check, "statistic", None)
    return getattr(theorem, "statistic", "mean") if st is None else st


def statistic_problems(experiments) -> list[str]:
    """Every check whose statistic is weaker than (or incompatible with) its theorem's.

    ``experiments``: an iterable of :class:`rlth.experiment.Experiment` (or a mapping name ->
    experiment).  A check is a problem if its effective statistic (``Check.statistic``, else the
    theorem's) is not in ``STATISTIC_ACCEPTS[theorem.statistic]``, if it names an unregistered
    theorem, if a ``"sample_complexity"`` check has no ``eps_grid`` (or another one has one), or
    if a ``quantile`` or ``sample_complexity`` check has no delta (its quantile level): neither
    the theorem's nor a ``delta`` parameter on every point it judges.  (A ``fraction`` check
    needs none: its delta enters only through the theorem's ``bound``, e.g. ``1 - delta``.)
    """
    from . import theory
    theorems = theory.all_theorems()
    exps = experiments.values() if hasattr(experiments, "values") else experiments
    out = []
    for e in exps:
        for c in e.checks:
            tag = f"{e.name}: check {c.theorem!r}" + (f" [{c.label}]" if c.label else "")
            th = theorems.get(c.theorem)
            if th is None:
                out.append(f"{tag}: unregistered theorem")
                continue
            st = effective_statistic(c, th)
            if st not in STATISTIC_ACCEPTS.get(th.statistic, ()):
                out.append(f"{tag}: statistic {st!r} is weaker than (or incompatible with) the "
                           f"theorem's {th.statistic!r}; allowed: "
                           f"{', '.join(STATISTIC_ACCEPTS[th.statistic])}")
            if st == "sample_complexity" and getattr(c, "eps_grid", None) is None:
                out.append(f"{tag}: a 'sample_complexity' check needs an eps_grid")
            if st != "sample_complexity" and getattr(c, "eps_grid", None) is not None:
                out.append(f"{tag}: eps_grid is only used by a 'sample_complexity' check")
            if st in ("quantile", "sample_complexity") and th.delta is None:
                pts = [pt for grid in e.grids.values() for pt in grid
                       if c.x in pt and _matches(pt, c.where)]
                if not pts or any("delta" not in pt for pt in pts):
                    out.append(f"{tag}: statistic {st!r} needs delta (Theorem.delta or a "
                               f"'delta' parameter on every point)")
    return out


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check: the fit, the bound comparison and the verdict.

    ``statistic`` is the statistic judged and ``level`` the quantile level (``quantile``,
    ``sample_complexity``); for a ``quantile`` check ``mean_range`` holds the range of the
    quantiles, for ``sample_complexity`` the range of the measured N(eps) and ``n_dropped`` the
    eps not crossed inside the grid.
    """

    experiment: str
    theorem: str
    label: str
    kind: str
    metric: str
    predicted: float | None
    tolerance: float
    verdict: str
    reason: str
    fit: SlopeFit | None = None
    bound: str = "n/a"     # "yes", "NO", "unsure", "ref ok", "ref off", "n/a"
    vacuous: bool = False
    n_points: int = 0
    n_dropped: int = 0
    normalize_label: str = ""
    mean_range: tuple[float, float] | None = None   # (min, max) of the replicate means in regime
    statistic: str = "mean"
    level: float | None = None

    @property
    def kind_label(self) -> str:
        """``kind``, followed by the statistic when it is not the mean (``upper/quantile 0.9``);
        the verdicts CSV and table show this in their ``kind`` column."""
        if self.statistic == "mean":
            return self.kind
        lv = f" {self.level:g}" if self.level is not None and self.statistic == "quantile" else ""
        return f"{self.kind}/{self.statistic}{lv}"

    @property
    def measured(self) -> str:
        """The fitted slope with its CI; for a bound-only check (no predicted exponent) the
        range of the replicate means instead, since its slope means nothing."""
        if self.predicted is None and self.mean_range is not None:
            lo, hi = self.mean_range
            span = f"{lo:.4g}" if lo == hi else f"{lo:.4g} .. {hi:.4g}"
            what = {"quantile": f"q{self.level:g}" if self.level is not None else "quantile",
                    "fraction": "fraction", "sample_complexity": "N(eps)"}.get(self.statistic,
                                                                              "mean")
            return f"{what} {self.metric} {span}"
        if self.fit is None:
            return "-"
        return f"{self.fit.slope:+.3f} [{self.fit.ci_low:+.3f}, {self.fit.ci_high:+.3f}]"


def _fmt_end(v: float) -> str:
    return f"{v:.3g}" if np.isfinite(v) else ("+inf" if v > 0 else "-inf")


def evaluate_check(check, records: Sequence[dict], *, experiment: str = "", theorem=None,
                   n_boot: int = 2000, rng=0) -> CheckResult:
    """Fit and judge one :class:`rlth.experiment.Check` on a sweep's records (module doc)."""
    from . import theory
    th = theorem if theorem is not None else theory.get(check.theorem)
    stat = effective_statistic(check, th)
    if stat not in theory.STATISTICS:
        raise ValueError(f"statistic: must be one of {theory.STATISTICS}, got {stat!r}")
    if stat == "sample_complexity":
        return _evaluate_sample_complexity(check, records, th, experiment, n_boot, rng)
    if getattr(check, "eps_grid", None) is not None:
        raise ValueError("eps_grid: only a 'sample_complexity' check uses an eps grid")
    if stat == "quantile" and check.compare_with is not None:
        raise ValueError("compare_with: a level comparison is judged on means; not available "
                         "for a 'quantile' check")
    p, t, kind = th.exponent, th.tolerance, th.kind
    base = dict(experiment=experiment, theorem=th.id, label=check.label, kind=kind,
                metric=check.metric, predicted=p, tolerance=t,
                normalize_label=check.normalize_label, statistic=stat)
    rows = aggregate(records, check.metric, check.x, check.where)
    if not rows:
        return CheckResult(verdict="INCONCLUSIVE", reason="no records match the check", **base)
    xraw = np.array([r[0] for r in rows])
    xfit = np.asarray(check.x_transform(xraw), dtype=np.float64) if check.x_transform else xraw
    points = [r[1] for r in rows]
    samples = [r[2] for r in rows]

    levels = None
    if stat == "quantile":
        levels = np.array([quantile_level(kind, _point_delta(th, pt, f"quantile check on "
                                                               f"{th.id!r}")) for pt in points])
        base.update(level=float(levels[0]))
    if stat == "fraction":
        for xv, s in zip(xraw, samples):
            if not np.all((s == 0) | (s == 1)):
                raise ValueError(f"metric: a 'fraction' check needs a 0/1 value per replicate; "
                                 f"{check.metric!r} has other values at {check.x}={xv:g}")
    if stat == "exact":
        for xv, s in zip(xraw, samples):
            if not np.all(s == s[0]):
                return CheckResult(
                    verdict="FAIL", reason=f"not deterministic: the {s.size} replicates of "
                    f"{check.metric} differ at {check.x}={xv:g} (range {np.nanmin(s):.6g} .. "
                    f"{np.nanmax(s):.6g})", **base)

    regime_fn = check.in_regime if check.in_regime is not None else th.in_regime
    in_regime = np.array([bool(_call(regime_fn, xv, pt)) for xv, pt in zip(xfit, points)]) \
        if regime_fn is not None else np.ones(len(rows), bool)
    if not in_regime.any():
        return CheckResult(verdict="NOT-IN-REGIME",
                           reason=f"no grid point inside the regime ({th.regime or 'predicate'})",
                           **base)

    # bound / reference / vacuity over every point in the regime
    means = np.array([s.mean() for s in samples])
    if levels is not None:
        qci = np.array([quantile_ci(s, lv) for s, lv in zip(samples, levels)])   # [n, 3]
        center = qci[:, 0]
    else:
        center = means
    base.update(mean_range=(float(center[in_regime].min()), float(center[in_regime].max())))
    bound_status, bound_fail, vacuous, notes = "n/a", False, False, []
    unsure = []          # why the bound comparison cannot be decided (quantile CIs)
    idx_reg = np.flatnonzero(in_regime)
    if th.bound is not None:
        bvals = np.array([_call(th.bound, xfit[i], points[i]) for i in idx_reg], dtype=float)
        if stat == "quantile":
            ok, bad = _quantile_bound(check, kind, xraw, samples, levels, qci, idx_reg, bvals,
                                      notes, unsure)
        elif stat == "fraction":
            ok = _fraction_bound(check, kind, xraw, samples, idx_reg, bvals, notes)
            bad = ~ok
        else:
            if kind == "lower":
                ok = means[idx_reg] >= bvals
            else:
                ok = means[idx_reg] <= bvals
            bad = ~ok
        bound_status = "yes" if ok.all() else ("NO" if bad.any() else "unsure")
        if bad.any():
            bound_fail = True
            if stat not in ("quantile", "fraction"):
                j = idx_reg[np.flatnonzero(~ok)[0]]
                rel = "above" if kind != "lower" else "below"
                notes.append(f"mean {means[j]:.3g} {rel} the bound at {check.x}={xraw[j]:g}")
        tmax = check.trivial_max if check.trivial_max is not None else th.trivial_max
        if tmax is not None:
            tv = np.array([_call(tmax, xfit[i], points[i]) if callable(tmax) else float(tmax)
                           for i in idx_reg], dtype=float)
            vacuous = bool(np.all(bvals > tv))
    if th.reference is not None and stat in ("mean", "exact"):
        rvals = np.array([_call(th.reference, xfit[i], points[i]) for i in idx_reg], dtype=float)
        zs = []
        for k, i in enumerate(idx_reg):
            s = samples[i]
            se = s.std(ddof=1) / math.sqrt(s.size) if s.size > 1 else 0.0
            diff = abs(means[i] - rvals[k])
            zs.append(diff / se if se > 0 else (0.0 if diff <= 1e-12 * max(1, abs(rvals[k]))
                                               else np.inf))
        zmax = float(np.max(zs))
        ref_ok = zmax <= REFERENCE_Z
        ref_txt = f"ref ok (max z={zmax:.1f})" if ref_ok else f"ref off (z={zmax:.1f})"
        bound_status = ref_txt if bound_status == "n/a" else f"{bound_status}; {ref_txt}"
        if not ref_ok:
            bound_fail = True
            notes.append(f"mean disagrees with the exact reference (z={zmax:.1f} > {REFERENCE_Z})")
    base.update(bound=bound_status, vacuous=vacuous)

    if check.compare_with is not None:
        cmp_status, cmp_fail, cmp_note = _compare_level(check, records, kind, xraw, samples,
                                                         idx_reg)
        bound_status = cmp_status if bound_status == "n/a" else f"{bound_status}; {cmp_status}"
        base.update(bound=bound_status)
        notes.append(cmp_note)
        bound_fail |= cmp_fail

    # measured burn-in: fit only past burn_in_factor x the measured burn-in
    fit_ok = in_regime.copy()
    if check.burn_in_metric is not None:
        # the largest replicate's burn-in (a run that never settles records its K and so
        # excludes the point: x must lie strictly past factor x burn-in)
        burn = np.array([np.max(v) for v in _metric_at(records, check.burn_in_metric, check.x,
                                                       check.where, xraw)])
        fit_ok &= xraw > check.burn_in_factor * burn
        if not fit_ok.any():
            return CheckResult(
                verdict="FAIL" if bound_fail else "INCONCLUSIVE",
                reason="; ".join(notes + unsure + [
                    f"burn-in dominates: {check.x} <= {check.burn_in_factor:g} x measured "
                    f"{check.burn_in_metric} at every point (measured {burn.min():.3g} .. "
                    f"{burn.max():.3g}; largest {check.x} {xraw.max():g})"]), **base)

    # fit window
    sel = fit_ok.copy()
    if check.fit_window is not None:
        lo, hi = check.fit_window
        sel &= (xraw >= lo) & (xraw <= hi)
    factors = (np.asarray(check.normalize(xraw, points), dtype=np.float64) if check.normalize
               else np.ones(len(rows)))
    positive = (center / factors > 0) & np.isfinite(center / factors) & (xfit > 0)
    n_dropped = int(np.sum(sel & ~positive))
    sel &= positive
    base.update(n_points=int(sel.sum()), n_dropped=n_dropped)
    what = "mean" if levels is None else "quantile"
    drop_txt = f" ({n_dropped} with {what} <= 0 dropped)" if n_dropped else ""
    if any(samples[i].size < 2 for i in np.flatnonzero(sel)):
        drop_txt += " (1 replicate at some point: the CI is exact only for a deterministic metric)"
    qarg = {} if levels is None else {"quantile": levels[sel]}
    if p is None:
        # a level (bound-only) check: judged point by point, no slope needed; the slope is
        # reported when it can be fitted
        if sel.sum() >= 2:
            xs = xfit[sel]
            base.update(fit=fit_slope(xs, [samples[i] for i in np.flatnonzero(sel)],
                                      factors=factors[sel], n_boot=n_boot, rng=rng, **qarg))
        if bound_fail:
            return CheckResult(verdict="FAIL", reason="; ".join(notes), **base)
        has_level = th.bound is not None or check.compare_with is not None
        v = "VACUOUS-BOUND" if vacuous else ("PASS" if has_level else "INCONCLUSIVE")
        why = "; ".join(notes) if check.compare_with is not None else \
            "no predicted exponent: bound comparison only"
        if stat != "mean" and notes and check.compare_with is None:
            why += "; " + "; ".join(notes)
        if unsure and v == "PASS":
            v, why = "INCONCLUSIVE", "; ".join(unsure)
        return CheckResult(verdict=v, reason=why, **base)
    if sel.sum() < MIN_POINTS:
        return CheckResult(verdict="FAIL" if bound_fail else "INCONCLUSIVE",
                           reason="; ".join(notes + unsure + [
                               f"{int(sel.sum())} points in the fit window"
                               f"{drop_txt}, need >= {MIN_POINTS}"]), **base)
    xs = xfit[sel]
    decades = float(np.log10(xs.max() / xs.min()))
    fit = fit_slope(xs, [samples[i] for i in np.flatnonzero(sel)], factors=factors[sel],
                    n_boot=n_boot, rng=rng, **qarg)
    base.update(fit=fit)
    if decades < MIN_DECADES:
        return CheckResult(verdict="FAIL" if bound_fail else "INCONCLUSIVE",
                           reason="; ".join(notes + unsure + [
                               f"fit window spans {decades:.2f} decades "
                               f"< {MIN_DECADES}"]), **base)
    return _slope_verdict(fit, kind, p, t, bound_fail, notes, unsure, vacuous, decades,
                          int(sel.sum()), drop_txt, base)


def _slope_verdict(fit, kind, p, t, bound_fail, notes, unsure, vacuous, decades, n_fit, drop_txt,
                   base) -> CheckResult:
    """Rules 3-7 of the module doc, once the fit has enough points and decades."""
    if bound_fail:
        return CheckResult(verdict="FAIL", reason="; ".join(notes), **base)
    a_lo, a_hi = _accept_interval(kind, p, t)
    if fit.ci_low > a_hi or fit.ci_high < a_lo:
        return CheckResult(verdict="FAIL", reason=f"slope CI [{fit.ci_low:.3f}, {fit.ci_high:.3f}] "
                           f"outside the accepted slopes [{a_lo:.3f}, {a_hi:.3f}]{drop_txt}",
                           **base)
    if fit.ci_width > MAX_CI_WIDTH:
        return CheckResult(verdict="INCONCLUSIVE", reason="; ".join(unsure + [
            f"slope CI width {fit.ci_width:.3f} > {MAX_CI_WIDTH}{drop_txt}"]), **base)
    if kind == "rate":
        ok = fit.ci_high >= a_lo and fit.ci_low <= a_hi
        why = f"CI misses [{a_lo:.3f}, {a_hi:.3f}]"
    elif kind == "upper":
        ok = fit.slope <= a_hi
        why = f"slope {fit.slope:.3f} > predicted + tolerance {a_hi:.3f}"
    else:
        ok = fit.slope >= a_lo
        why = f"slope {fit.slope:.3f} < predicted - tolerance {a_lo:.3f}"
    if not ok:
        return CheckResult(verdict="FAIL", reason=why + drop_txt, **base)
    if unsure:
        return CheckResult(verdict="INCONCLUSIVE", reason="; ".join(
            unsure + [f"slope consistent ({decades:.2f} decades, {n_fit} points)"]) + drop_txt,
            **base)
    if vacuous:
        return CheckResult(verdict="VACUOUS-BOUND", reason="the explicit bound exceeds the trivial "
                           "maximum at every point; slope consistent" + drop_txt, **base)
    extra = "; ".join(notes)
    return CheckResult(verdict="PASS", reason=f"{decades:.2f} decades, {n_fit} points"
                       + drop_txt + (f"; {extra}" if extra and base.get("statistic", "mean")
                                     != "mean" else ""), **base)


def _quantile_bound(check, kind, xraw, samples, levels, qci, idx, bvals, notes, unsure):
    """Bound vs. the order-statistic CI of the quantile at each regime point.

    Returns ``(ok, bad)`` arrays over ``idx``: ``bad`` where the whole CI is on the wrong side
    of the bound (a FAIL), ``ok`` where the CI end on the bound's side respects it; the rest is
    undecided (its reason appended to ``unsure``)."""
    lo, hi = qci[idx, 1], qci[idx, 2]
    if kind == "lower":
        bad, ok = hi < bvals, lo >= bvals
    else:
        bad, ok = lo > bvals, hi <= bvals
    rel = "below" if kind == "lower" else "above"
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        i = idx[k]
        notes.append(f"{levels[i]:g}-quantile {qci[i, 0]:.3g} (CI [{_fmt_end(lo[k])}, "
                     f"{_fmt_end(hi[k])}]) {rel} the bound {bvals[k]:.3g} at {check.x}="
                     f"{xraw[i]:g}")
    elif not ok.all():
        k = int(np.flatnonzero(~ok)[0])
        i = idx[k]
        end = lo[k] if kind == "lower" else hi[k]
        txt = (f"the {levels[i]:g}-quantile CI [{_fmt_end(lo[k])}, {_fmt_end(hi[k])}] contains "
               f"the bound {bvals[k]:.3g} at {check.x}={xraw[i]:g}"
               f" ({int(np.sum(~ok))} point(s) undecided)")
        if not np.isfinite(end):
            side = "low" if kind == "lower" else "high"
            txt += (f"; {samples[i].size} replicates give no finite "
                    f"{'lower' if side == 'low' else 'upper'} CI end, need >= "
                    f"{replicates_needed(float(levels[i]), side)}")
        unsure.append(txt)
    return ok, bad


def _fraction_bound(check, kind, xraw, samples, idx, bvals, notes):
    """Bound vs. a one-sided Clopper-Pearson CI of the fraction at each regime point; returns
    ``ok`` over ``idx`` (``lower``: FAIL only where the upper CI end is below the bound)."""
    ok = np.ones(len(idx), bool)
    worst = None
    for k, i in enumerate(idx):
        s = samples[i]
        succ, n = int(np.sum(s)), s.size
        if kind == "lower":
            end = fraction_ci(succ, n, "high")
            ok[k] = end >= bvals[k]
        else:
            end = fraction_ci(succ, n, "low")
            ok[k] = end <= bvals[k]
        if not ok[k] and worst is None:
            worst = (i, succ, n, end, bvals[k])
    side = "upper" if kind == "lower" else "lower"
    rel = "below" if kind == "lower" else "above"
    if worst is not None:
        i, succ, n, end, b = worst
        notes.append(f"fraction {succ}/{n}: one-sided {FRACTION_CI_LEVEL:.0%} CI {side} end "
                     f"{end:.3g} {rel} the bound {b:.3g} at {check.x}={xraw[i]:g}")
    else:
        tot = sum(int(np.sum(samples[i])) for i in idx)
        n_all = sum(samples[i].size for i in idx)
        notes.append(f"fraction {tot}/{n_all} over {len(idx)} points; one-sided "
                     f"{FRACTION_CI_LEVEL:.0%} Clopper-Pearson CI {side} end respects the bound "
                     f"at every point")
    return ok


def _evaluate_sample_complexity(check, records, th, experiment, n_boot, rng) -> CheckResult:
    """A ``sample_complexity`` check (module doc, "Sample complexity")."""
    for name in ("normalize", "x_transform", "compare_with", "burn_in_metric"):
        if getattr(check, name) is not None:
            raise ValueError(f"{name}: not supported by a 'sample_complexity' check")
    if getattr(check, "eps_grid", None) is None:
        raise ValueError(f"eps_grid: the 'sample_complexity' check on {th.id!r} needs eps values")
    p, t, kind = th.exponent, th.tolerance, th.kind
    base = dict(experiment=experiment, theorem=th.id, label=check.label, kind=kind,
                metric=check.metric, predicted=p, tolerance=t,
                normalize_label=check.normalize_label, statistic="sample_complexity")
    rows = aggregate(records, check.metric, check.x, check.where)
    if check.fit_window is not None:
        lo, hi = check.fit_window
        rows = [r for r in rows if lo <= r[0] <= hi]
    if len(rows) < 2:
        return CheckResult(verdict="INCONCLUSIVE", reason=f"{len(rows)} sample sizes match the "
                           f"check, need >= 2 to invert the quantile curve", **base)
    xs = np.array([r[0] for r in rows])
    points = [r[1] for r in rows]
    samples = [r[2] for r in rows]
    deltas = {_point_delta(th, pt, f"sample-complexity check on {th.id!r}") for pt in points}
    if len(deltas) != 1:
        raise ValueError(f"delta: the points of a sample-complexity check must share one delta, "
                         f"got {sorted(deltas)}; pin it in the check's 'where'")
    level = 1.0 - deltas.pop()
    base.update(level=level)
    params = {k: v for k, v in points[0].items() if k != check.x}
    eps = np.array(sorted(check.eps_grid, reverse=True))
    regime_fn = check.in_regime if check.in_regime is not None else th.in_regime
    if regime_fn is not None:
        eps = eps[np.array([bool(_call(regime_fn, 1.0 / e, params)) for e in eps], bool)]
        if eps.size == 0:
            return CheckResult(verdict="NOT-IN-REGIME", reason=f"no eps of the grid inside the "
                               f"regime ({th.regime or 'predicate'})", **base)
    fit, curve = fit_sample_complexity(xs, samples, eps, level, n_boot=n_boot, rng=rng)
    kept = curve["kept"]
    n_kept = int(kept.sum())
    base.update(n_points=n_kept, n_dropped=int((~kept).sum()), fit=fit)
    drop = []
    if curve["dropped_small"]:
        drop.append(f"{len(curve['dropped_small'])} eps never reached inside the grid "
                    f"(N > {xs.max():g}: {', '.join(f'{e:g}' for e in curve['dropped_small'])})")
    if curve["dropped_large"]:
        drop.append(f"{len(curve['dropped_large'])} eps reached already at {check.x}="
                    f"{xs.min():g} ({', '.join(f'{e:g}' for e in curve['dropped_large'])})")
    drop_txt = f" ({'; '.join(drop)}; dropped)" if drop else ""
    if n_kept == 0:
        return CheckResult(verdict="INCONCLUSIVE", reason="no eps of the grid is crossed by the "
                           f"{level:g}-quantile inside the grid{drop_txt}", **base)
    n_mid, n_lo, n_hi = curve["N"][kept], curve["N_low"][kept], curve["N_high"][kept]
    e_k = curve["eps"][kept]
    base.update(mean_range=(float(n_mid.min()), float(n_mid.max())))
    notes, unsure, bound_fail = [], [], False
    if th.bound is not None:
        nb = np.array([_call(th.bound, 1.0 / e, params) for e in e_k], dtype=float)
        ratio = n_mid / nb
        if kind == "lower":
            bad, ok = n_hi < nb, n_lo >= nb
            j = int(np.argmin(ratio))
            factor = f"min N(eps)/N_bound {ratio[j]:.3g} at eps={e_k[j]:g}"
        else:
            bad, ok = n_lo > nb, n_hi <= nb
            j = int(np.argmax(ratio))
            factor = f"max N(eps)/N_bound {ratio[j]:.3g} at eps={e_k[j]:g}"
        base.update(bound="yes" if ok.all() else ("NO" if bad.any() else "unsure"))
        if bad.any():
            bound_fail = True
            k = int(np.flatnonzero(bad)[0])
            rel = "above" if kind != "lower" else "below"
            notes.append(f"N(eps) {n_mid[k]:.4g} (CI [{_fmt_end(n_lo[k])}, {_fmt_end(n_hi[k])}]) "
                         f"{rel} the bound {nb[k]:.4g} at eps={e_k[k]:g}; {factor}")
        elif not ok.all():
            k = int(np.flatnonzero(~ok)[0])
            txt = (f"the CI [{_fmt_end(n_lo[k])}, {_fmt_end(n_hi[k])}] of N(eps) contains the "
                   f"bound {nb[k]:.4g} at eps={e_k[k]:g}; {factor}")
            if not np.all(np.isfinite(curve["q_high"])):
                n_need = replicates_needed(level, "high")
                txt += (f"; the upper CI of the {level:g}-quantile is infinite with "
                        f"{min(s.size for s in samples)} replicates, need >= {n_need}")
            unsure.append(txt)
        else:
            notes.append(factor)
    if p is None:
        if bound_fail:
            return CheckResult(verdict="FAIL", reason="; ".join(notes) + drop_txt, **base)
        if th.bound is None:
            return CheckResult(verdict="INCONCLUSIVE", reason="no predicted exponent and no "
                               "bound" + drop_txt, **base)
        if unsure:
            return CheckResult(verdict="INCONCLUSIVE", reason="; ".join(unsure) + drop_txt,
                               **base)
        return CheckResult(verdict="PASS", reason="no predicted exponent: bound comparison "
                           "only; " + "; ".join(notes) + drop_txt, **base)
    if n_kept < MIN_POINTS:
        return CheckResult(verdict="FAIL" if bound_fail else "INCONCLUSIVE",
                           reason="; ".join(notes + unsure + [
                               f"{n_kept} eps crossed inside the grid{drop_txt}, need >= "
                               f"{MIN_POINTS}"]), **base)
    decades = fit.decades
    if decades < MIN_DECADES:
        return CheckResult(verdict="FAIL" if bound_fail else "INCONCLUSIVE",
                           reason="; ".join(notes + unsure + [
                               f"crossed eps span {decades:.2f} decades of 1/eps < "
                               f"{MIN_DECADES}{drop_txt}"]), **base)
    if fit.n_invalid_boot > 0.05 * fit.n_boot:
        drop_txt += (f" ({fit.n_invalid_boot} of {fit.n_boot} bootstrap resamples left some eps "
                     f"uncrossed and were excluded)")
    return _slope_verdict(fit, kind, p, t, bound_fail, notes, unsure, False, decades, n_kept,
                          drop_txt, base)


def _metric_at(records, metric, x, where, xs):
    """Replicate values of ``metric`` at each ``x`` of ``xs`` (points matching ``where``)."""
    rows = {r[0]: r[2] for r in aggregate(records, metric, x, where)}
    missing = [v for v in xs if float(v) not in rows]
    if missing:
        raise ValueError(f"metric: no {metric!r} records at {x}={missing[0]:g} for the points "
                         f"matching {dict(where or {})}")
    return [rows[float(v)] for v in xs]


def _compare_level(check, records, kind, xraw, samples, idx):
    """Level comparison against the curve on ``check.compare_with`` (see :class:`Check`).

    Returns ``(status, failed, note)``.  ``z = (m - m_ref) / sqrt(se^2 + se_ref^2)``; a lower
    level fails where ``z < -COMPARE_Z`` (an upper one where ``z > COMPARE_Z``).
    """
    ref = _metric_at(records, check.metric, check.x, check.compare_with, xraw[idx])
    tag = ", ".join(f"{k}={v}" for k, v in dict(check.compare_with).items())
    zs, ratios = [], []
    for i, r in zip(idx, ref):
        s = samples[i]
        m, mr = float(s.mean()), float(r.mean())
        se2 = (s.var(ddof=1) / s.size if s.size > 1 else 0.0) + \
            (r.var(ddof=1) / r.size if r.size > 1 else 0.0)
        d = m - mr
        zs.append(d / math.sqrt(se2) if se2 > 0 else (0.0 if d == 0 else math.copysign(np.inf, d)))
        ratios.append(m / mr if mr > 0 else np.inf)
    zs, ratios = np.array(zs), np.array(ratios)
    bad = zs < -COMPARE_Z if kind == "lower" else zs > COMPARE_Z
    j = int(np.argmin(ratios) if kind == "lower" else np.argmax(ratios))
    word = "min" if kind == "lower" else "max"
    note = (f"{word} ratio to [{tag}] {ratios[j]:.3g} at {check.x}={xraw[idx[j]]:g}")
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        rel = "below" if kind == "lower" else "above"
        note = (f"mean {rel} [{tag}] at {check.x}={xraw[idx[k]]:g} (z={zs[k]:.1f}, ratio "
                f"{ratios[k]:.3g}); " + note)
        return f"NO vs {tag}", True, note
    return f"yes vs {tag}", False, note


def evaluate_experiment(experiment, records: Sequence[dict], **kwargs) -> list[CheckResult]:
    """Evaluate every check of ``experiment`` on its records."""
    return [evaluate_check(c, records, experiment=experiment.name, **kwargs)
            for c in experiment.checks]


def write_verdicts_csv(results: Sequence[CheckResult], path) -> None:
    """One CSV row per check: the numbers behind the verdict table."""
    import csv
    cols = ["experiment", "theorem", "label", "normalize_label", "kind", "metric", "predicted",
            "tolerance", "slope", "ci_low", "ci_high", "decades", "mean_min", "mean_max",
            "n_points", "n_dropped", "bound", "vacuous", "verdict", "reason"]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for r in results:
            f = r.fit
            w.writerow([r.experiment, r.theorem, r.label, r.normalize_label, r.kind_label, r.metric,
                        "" if r.predicted is None else r.predicted, r.tolerance,
                        *(("", "", "", "") if f is None else
                          (f.slope, f.ci_low, f.ci_high, f.decades)),
                        *(("", "") if r.mean_range is None else r.mean_range),
                        r.n_points, r.n_dropped, r.bound, r.vacuous, r.verdict, r.reason])


def format_table(results: Sequence[CheckResult]) -> str:
    """The verdict table: one row per check."""
    header = ("experiment", "theorem", "label", "kind", "predicted", "measured slope [95% CI]",
              "bound respected", "verdict")
    rows = []
    for r in results:
        pred = "-" if r.predicted is None else f"{r.predicted:+.3f}±{r.tolerance:g}"
        label = r.label + (f" {r.normalize_label}" if r.normalize_label else "")
        rows.append((r.experiment, r.theorem, label.strip(), r.kind_label, pred, r.measured, r.bound,
                     r.verdict))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(out)
