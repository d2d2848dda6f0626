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
           "COMPARE_Z"]

VERDICTS = ("PASS", "FAIL", "VACUOUS-BOUND", "NOT-IN-REGIME", "INCONCLUSIVE")
MIN_POINTS = 3          # fewer fitted points: INCONCLUSIVE
MIN_DECADES = 1.5       # fit window narrower (in decades of the fitted x): INCONCLUSIVE
MAX_CI_WIDTH = 0.2      # slope CI wider: INCONCLUSIVE (unless a clear FAIL)
REFERENCE_Z = 5.5       # |mean - exact reference| allowed, in standard errors (two-sided 3.8e-8)
COMPARE_Z = 3.0         # compare_with: one-sided z of a level violation against another curve


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


def _bootstrap_means(values: np.ndarray, n_boot: int, rng) -> np.ndarray:
    n = values.shape[0]
    out = np.empty(n_boot)
    block = max(1, min(n_boot, 4_000_000 // max(n, 1)))
    for start in range(0, n_boot, block):
        stop = min(n_boot, start + block)
        idx = rng.integers(0, n, size=(stop - start, n))
        out[start:stop] = values[idx].mean(axis=1)
    return out


def bootstrap_slopes(x, samples: Sequence[np.ndarray], *, factors=None, n_boot: int = 2000,
                     rng=0) -> np.ndarray:
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
    """
    from ._rng import as_generator
    rng = as_generator(rng)
    lx = np.log(np.asarray(x, dtype=np.float64))
    fac = np.ones(len(samples)) if factors is None else np.asarray(factors, dtype=np.float64)
    means = np.stack([_bootstrap_means(np.asarray(s, dtype=np.float64), n_boot, rng)
                      for s in samples], axis=1) / fac        # [B, n]
    with np.errstate(divide="ignore", invalid="ignore"):
        ly = np.where(means > 0, np.log(np.where(means > 0, means, 1.0)), np.nan)
    slopes, _ = _ols_slopes(lx, ly)
    return slopes


def fit_slope(x, samples: Sequence[np.ndarray], *, factors=None, n_boot: int = 2000,
              level: float = 0.95, rng=0) -> SlopeFit:
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
    means = np.array([np.mean(s) for s in samples]) / fac
    if np.any(~(means > 0)):
        raise ValueError("samples: every (normalized) mean must be positive to take logs")
    lx, ly = np.log(x), np.log(means)
    slope, intercept = _ols_slopes(lx, ly)
    boots = bootstrap_slopes(x, samples, factors=fac, n_boot=n_boot, rng=rng)
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


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check: the fit, the bound comparison and the verdict."""

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
    bound: str = "n/a"     # "yes", "NO", "ref ok", "ref off", "n/a"
    vacuous: bool = False
    n_points: int = 0
    n_dropped: int = 0
    normalize_label: str = ""
    mean_range: tuple[float, float] | None = None   # (min, max) of the replicate means in regime

    @property
    def measured(self) -> str:
        """The fitted slope with its CI; for a bound-only check (no predicted exponent) the
        range of the replicate means instead, since its slope means nothing."""
        if self.predicted is None and self.mean_range is not None:
            lo, hi = self.mean_range
            span = f"{lo:.4g}" if lo == hi else f"{lo:.4g} .. {hi:.4g}"
            return f"mean {self.metric} {span}"
        if self.fit is None:
            return "-"
        return f"{self.fit.slope:+.3f} [{self.fit.ci_low:+.3f}, {self.fit.ci_high:+.3f}]"


def _accept_interval(kind, p, t):
    if kind == "rate":
        return p - t, p + t
    if kind == "upper":
        return -np.inf, p + t
    return p - t, np.inf


def evaluate_check(check, records: Sequence[dict], *, experiment: str = "", theorem=None,
                   n_boot: int = 2000, rng=0) -> CheckResult:
    """Fit and judge one :class:`rlth.experiment.Check` on a sweep's records (module doc)."""
    from . import theory
    th = theorem if theorem is not None else theory.get(check.theorem)
    p, t, kind = th.exponent, th.tolerance, th.kind
    base = dict(experiment=experiment, theorem=th.id, label=check.label, kind=kind,
                metric=check.metric, predicted=p, tolerance=t,
                normalize_label=check.normalize_label)
    rows = aggregate(records, check.metric, check.x, check.where)
    if not rows:
        return CheckResult(verdict="INCONCLUSIVE", reason="no records match the check", **base)
    xraw = np.array([r[0] for r in rows])
    xfit = np.asarray(check.x_transform(xraw), dtype=np.float64) if check.x_transform else xraw
    points = [r[1] for r in rows]
    samples = [r[2] for r in rows]

    regime_fn = check.in_regime if check.in_regime is not None else th.in_regime
    in_regime = np.array([bool(_call(regime_fn, xv, pt)) for xv, pt in zip(xfit, points)]) \
        if regime_fn is not None else np.ones(len(rows), bool)
    if not in_regime.any():
        return CheckResult(verdict="NOT-IN-REGIME",
                           reason=f"no grid point inside the regime ({th.regime or 'predicate'})",
                           **base)

    # bound / reference / vacuity over every point in the regime
    means = np.array([s.mean() for s in samples])
    base.update(mean_range=(float(means[in_regime].min()), float(means[in_regime].max())))
    bound_status, bound_fail, vacuous, notes = "n/a", False, False, []
    idx_reg = np.flatnonzero(in_regime)
    if th.bound is not None:
        bvals = np.array([_call(th.bound, xfit[i], points[i]) for i in idx_reg], dtype=float)
        if kind == "lower":
            ok = means[idx_reg] >= bvals
        else:
            ok = means[idx_reg] <= bvals
        bound_status = "yes" if ok.all() else "NO"
        if not ok.all():
            bound_fail = True
            j = idx_reg[np.flatnonzero(~ok)[0]]
            rel = "above" if kind != "lower" else "below"
            notes.append(f"mean {means[j]:.3g} {rel} the bound at {check.x}={xraw[j]:g}")
        tmax = check.trivial_max if check.trivial_max is not None else th.trivial_max
        if tmax is not None:
            tv = np.array([_call(tmax, xfit[i], points[i]) if callable(tmax) else float(tmax)
                           for i in idx_reg], dtype=float)
            vacuous = bool(np.all(bvals > tv))
    if th.reference is not None:
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
                reason="; ".join(notes + [
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
    positive = (means / factors > 0) & np.isfinite(means / factors) & (xfit > 0)
    n_dropped = int(np.sum(sel & ~positive))
    sel &= positive
    base.update(n_points=int(sel.sum()), n_dropped=n_dropped)
    drop_txt = f" ({n_dropped} with mean <= 0 dropped)" if n_dropped else ""
    if any(samples[i].size < 2 for i in np.flatnonzero(sel)):
        drop_txt += " (1 replicate at some point: the CI is exact only for a deterministic metric)"
    if p is None:
        # a level (bound-only) check: judged point by point, no slope needed; the slope is
        # reported when it can be fitted
        if sel.sum() >= 2:
            xs = xfit[sel]
            base.update(fit=fit_slope(xs, [samples[i] for i in np.flatnonzero(sel)],
                                      factors=factors[sel], n_boot=n_boot, rng=rng))
        if bound_fail:
            return CheckResult(verdict="FAIL", reason="; ".join(notes), **base)
        has_level = th.bound is not None or check.compare_with is not None
        v = "VACUOUS-BOUND" if vacuous else ("PASS" if has_level else "INCONCLUSIVE")
        why = "; ".join(notes) if check.compare_with is not None else \
            "no predicted exponent: bound comparison only"
        return CheckResult(verdict=v, reason=why, **base)
    if sel.sum() < MIN_POINTS:
        return CheckResult(verdict="FAIL" if bound_fail else "INCONCLUSIVE",
                           reason="; ".join(notes + [f"{int(sel.sum())} points in the fit window"
                                                     f"{drop_txt}, need >= {MIN_POINTS}"]), **base)
    xs = xfit[sel]
    decades = float(np.log10(xs.max() / xs.min()))
    fit = fit_slope(xs, [samples[i] for i in np.flatnonzero(sel)], factors=factors[sel],
                    n_boot=n_boot, rng=rng)
    base.update(fit=fit)
    if decades < MIN_DECADES:
        return CheckResult(verdict="FAIL" if bound_fail else "INCONCLUSIVE",
                           reason="; ".join(notes + [f"fit window spans {decades:.2f} decades "
                                                     f"< {MIN_DECADES}"]), **base)
    if bound_fail:
        return CheckResult(verdict="FAIL", reason="; ".join(notes), **base)
    a_lo, a_hi = _accept_interval(kind, p, t)
    if fit.ci_low > a_hi or fit.ci_high < a_lo:
        return CheckResult(verdict="FAIL", reason=f"slope CI [{fit.ci_low:.3f}, {fit.ci_high:.3f}] "
                           f"outside the accepted slopes [{a_lo:.3f}, {a_hi:.3f}]{drop_txt}",
                           **base)
    if fit.ci_width > MAX_CI_WIDTH:
        return CheckResult(verdict="INCONCLUSIVE", reason=f"slope CI width {fit.ci_width:.3f} > "
                           f"{MAX_CI_WIDTH}{drop_txt}", **base)
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
    if vacuous:
        return CheckResult(verdict="VACUOUS-BOUND", reason="the explicit bound exceeds the trivial "
                           "maximum at every point; slope consistent" + drop_txt, **base)
    return CheckResult(verdict="PASS", reason=f"{decades:.2f} decades, {int(sel.sum())} points"
                       + drop_txt, **base)


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
            w.writerow([r.experiment, r.theorem, r.label, r.normalize_label, r.kind, r.metric,
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
        rows.append((r.experiment, r.theorem, label.strip(), r.kind, pred, r.measured, r.bound,
                     r.verdict))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(out)
